-- A contact's unreact keeps the row as a tombstone (removed, stamped with the unreact's
-- time) instead of deleting it. Meta retries and does not order deliveries: a react
-- redelivered after its unreact must find the newer unreact and lose to it, or the
-- reaction would come back for good (actions/inbound_reactions.py). Readers skip removed rows.
ALTER TABLE reactions ADD COLUMN removed boolean NOT NULL DEFAULT false;
