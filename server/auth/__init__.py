"""Identity and access: sessions, API tokens, throttling, guards and the principal.

Route modules use:

    from wazify.auth.guards import require_member, require_staff, require_role, public
    from wazify.auth.principal import Principal

    @get("/things", guards=[require_member])
    async def things(principal: Principal) -> ...:   # app-wide dependency `principal`

Wiring (server/app.py): `AuthMiddleware()` resolves the principal once per request and
enforces CSRF; `PRINCIPAL_DEPENDENCY` provides it as `principal`.
"""
