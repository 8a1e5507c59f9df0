-- When the reconciler should next look at an order against its payments: set by every payment
-- attempt and every cancel of a paid order (either may be cut short by a crash), cleared once the
-- order and its payments agree. When a cancel of a paid order was accepted, so that a cancel cut
-- short between the refund and the order's update is finished without the client.
ALTER TABLE orders ADD COLUMN reconcile_after timestamptz;
ALTER TABLE orders ADD COLUMN cancel_requested_at timestamptz;
-- Until when to keep looking at an order whose payment attempt went quiet or was overruled:
-- payment-service may still settle a charge that attempt left in progress there.
ALTER TABLE orders ADD COLUMN watch_until timestamptz;
CREATE INDEX orders_reconcile_after ON orders (reconcile_after) WHERE reconcile_after IS NOT NULL;
