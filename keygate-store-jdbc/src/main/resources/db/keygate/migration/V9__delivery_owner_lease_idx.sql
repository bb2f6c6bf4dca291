-- Fair delivery: a worker leases at most one delivery per owner at a time, so every claim asks
-- "has this owner a delivery leased?". This index answers it without scanning the owner's backlog.
CREATE INDEX deliveries_owner_lease_idx ON deliveries (owner_id, leased_until)
    WHERE status = 'pending';
