-- The id of the HTTP request that delivered a receipt (its X-Request-ID, or one the server
-- made up), so the log lines of the receipt's processing name the request they come from.
ALTER TABLE webhook_receipts ADD COLUMN request_id text;
