"""Privacy as features: erasing a contact, deleting a workspace or an account's data,
Meta's data-deletion and deauthorize callbacks, and the public deletion status page."""
