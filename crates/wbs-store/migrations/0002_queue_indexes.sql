-- The queue's indexes cover pending rows only (done_at IS NULL) or done rows only, so
-- that a claim walks pending notifications oldest first and finds users under a live
-- lease from small indexes: a claim costs the same with 20 or 20,000 notifications
-- waiting. Measured before: 44 ms a claim with 20,000 pending (a scan and a sort).
DROP INDEX notifications_pending;
CREATE INDEX notifications_pending_user ON notifications (userid) WHERE done_at IS NULL;
CREATE INDEX notifications_pending_order ON notifications (id) WHERE done_at IS NULL;
CREATE INDEX notifications_leased ON notifications (lease_until) WHERE done_at IS NULL;
CREATE INDEX notifications_done ON notifications (done_at) WHERE done_at IS NOT NULL;
