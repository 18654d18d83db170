-- docs/security.md rule 20: the audit chain becomes keyed. Rows written before this migration keep
-- chainVersion 1 (SHA-256, unkeyed) and stay verifiable; every new row is version 2 (HMAC-SHA-256
-- with AUDIT_KEY). The first keyed row's MAC covers the hash of the last unkeyed one, so the legacy
-- prefix is sealed by it (README, "Audit log").
ALTER TABLE "AuditEvent" ADD COLUMN "chainVersion" SMALLINT NOT NULL DEFAULT 1;

-- Anchors: copies of the chain head taken every hour and on demand, each MAC'd with AUDIT_KEY and
-- also sent to the host platform in a signed webhook. Append-only: nothing in the app updates or
-- deletes an anchor, and the triggers below refuse it for anyone else short of dropping them (a
-- schema change, not a data change; the host's copy still tells).
CREATE TABLE "AuditAnchor" (
    "id" BIGSERIAL NOT NULL,
    "anchoredAt" TIMESTAMP(3) NOT NULL,
    "headSeq" BIGINT NOT NULL,
    "headHash" BYTEA NOT NULL,
    "mac" BYTEA NOT NULL,
    "reason" TEXT NOT NULL,

    CONSTRAINT "AuditAnchor_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "AuditAnchor_headSeq_idx" ON "AuditAnchor"("headSeq");

CREATE FUNCTION "audit_anchor_append_only"() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'AuditAnchor is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "AuditAnchor_no_update" BEFORE UPDATE OR DELETE ON "AuditAnchor"
  FOR EACH ROW EXECUTE FUNCTION "audit_anchor_append_only"();
CREATE TRIGGER "AuditAnchor_no_truncate" BEFORE TRUNCATE ON "AuditAnchor"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_anchor_append_only"();
