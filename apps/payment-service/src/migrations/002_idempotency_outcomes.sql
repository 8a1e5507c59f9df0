-- Idempotency keys keep the outcome of their request (a payment or a refund, as JSON) instead of a
-- rendered HTTP response, and a summary of the request (a charge's amount, currency and reference;
-- never the card token), so a charge left in progress by a crash can be settled with the provider
-- without the client. Keys completed before this migration keep replaying: their stored responses
-- are turned into outcomes here.
ALTER TABLE idempotency_keys ADD COLUMN request text;
ALTER TABLE idempotency_keys ADD COLUMN result text;

UPDATE idempotency_keys
SET result = json_build_object('outcome', 'succeeded', 'payment', response_body::json)::text
WHERE scope = 'payments' AND state = 'completed' AND response_status = 201;

UPDATE idempotency_keys k
SET result = json_build_object(
  'outcome', 'declined',
  'payment', json_build_object(
    'id', p.id,
    'status', p.status,
    'amountCents', p.amount_cents,
    'currency', p.currency,
    'reference', p.reference,
    'method', json_build_object('type', p.method_type, 'brand', p.brand, 'last4', p.last4),
    'failureCode', p.failure_code,
    'createdAt', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updatedAt', to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  )
)::text
FROM payments p
WHERE k.scope = 'payments' AND k.state = 'completed' AND k.response_status = 402
  AND p.id = (k.response_body::json ->> 'paymentId')::uuid;

UPDATE idempotency_keys
SET result = json_build_object('refund', response_body::json)::text
WHERE scope = 'refunds' AND state = 'completed' AND response_status = 201;

-- A completed key whose response could not be carried over (none is expected) is forgotten: a
-- retry then runs again and finds the payment by its key instead of charging twice.
DELETE FROM idempotency_keys WHERE state = 'completed' AND result IS NULL;

ALTER TABLE idempotency_keys DROP COLUMN response_status;
ALTER TABLE idempotency_keys DROP COLUMN response_headers;
ALTER TABLE idempotency_keys DROP COLUMN response_body;

CREATE INDEX idempotency_keys_in_progress ON idempotency_keys (scope, locked_at) WHERE state = 'in_progress';
