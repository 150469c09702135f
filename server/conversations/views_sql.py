"""SQL that builds the public views (wazify.views) as JSON inside PostgreSQL.

Building the JSON in the database keeps one definition of each view for the API, the
events and the bootstrap, costs one round trip for any number of rows, and decodes straight
into the msgspec Structs. Each fragment expects the aliases named in its docstring.
"""

from __future__ import annotations

# Alias r: reactions. Removed rows are tombstones (actions/inbound_reactions.py).
REACTIONS_OF_MESSAGE = """coalesce((
    SELECT json_agg(json_build_object('reactor_kind', r.reactor_kind, 'reactor_id', r.reactor_id,
                                      'reaction', r.reaction, 'emoji', r.emoji) ORDER BY r.id)
    FROM reactions r WHERE r.message_id = {m}.id AND NOT r.removed), '[]'::json)"""


# The conversation's label ids, ascending (an index-only scan of the (conversation, label) key).
LABELS_OF_CONVERSATION = """coalesce((
    SELECT json_agg(cl.label_id ORDER BY cl.label_id)
    FROM conversation_labels cl WHERE cl.conversation_id = {c}.id), '[]'::json)"""


def message_json(m: str = "m") -> str:
    """A MessageView of the messages row aliased `m`."""
    return f"""json_build_object(
    'id', {m}.id, 'conversation_id', {m}.conversation_id, 'direction', {m}.direction,
    'kind', {m}.kind, 'source', {m}.source, 'mid', {m}.mid, 'client_id', {m}.client_id,
    'author_id', {m}.author_id, 'text', {m}.text, 'attachments', {m}.attachments,
    'quick_replies', {m}.quick_replies,
    'reply_to_mid', {m}.reply_to_mid, 'reply_to_story', {m}.reply_to_story,
    'quick_reply_payload', {m}.quick_reply_payload, 'referral', {m}.referral,
    'payload', {m}.payload, 'unsupported', {m}.unsupported, 'standby', {m}.standby,
    'status', {m}.status, 'status_reason', {m}.status_reason, 'edit_count', {m}.edit_count,
    'edits', {m}.edits, 'deleted', {m}.deleted_at IS NOT NULL,
    'reactions', {REACTIONS_OF_MESSAGE.format(m=m)}, 'sent_at', {m}.sent_at)"""


def contact_json(ct: str = "ct") -> str:
    """A ContactView of the contacts row aliased `ct`."""
    return f"""json_build_object(
    'id', {ct}.id, 'account_id', {ct}.account_id, 'igsid', {ct}.igsid, 'name', {ct}.name,
    'username', {ct}.username, 'display_name', {ct}.display_name,
    'picture_url', {ct}.picture_url, 'notes', {ct}.notes, 'profile_state', {ct}.profile_state)"""


def conversation_json(c: str = "c", ct: str = "ct", lm: str = "lm") -> str:
    """A ConversationView of conversation `c` joined to its contact `ct` and, by a LEFT JOIN,
    its last message `lm`."""
    return f"""json_build_object(
    'id', {c}.id, 'account_id', {c}.account_id, 'contact', {contact_json(ct)},
    'status', {c}.status, 'snoozed_until', {c}.snoozed_until, 'assignee_id', {c}.assignee_id,
    'last_activity_at', {c}.last_activity_at,
    'last_message', CASE WHEN {lm}.id IS NULL THEN NULL ELSE {message_json(lm)} END,
    'unread_count', {c}.unread_count, 'window_ends_at', {c}.window_ends_at,
    'human_agent_ends_at', {c}.human_agent_ends_at, 'referral', {c}.referral,
    'labels', {LABELS_OF_CONVERSATION.format(c=c)}, 'reopened_at', {c}.reopened_at)"""


CONVERSATION_FROM = """conversations c
    JOIN contacts ct ON ct.id = c.contact_id
    LEFT JOIN messages lm ON lm.id = c.last_message_id"""

ACCOUNT_JSON = """json_build_object(
    'id', a.id, 'ig_id', a.ig_id, 'username', a.username, 'name', a.name,
    'picture_url', a.picture_url, 'status', a.status, 'status_reason', a.status_reason)"""
