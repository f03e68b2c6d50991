-- Stored content is append-only: the bytes of a file that evidence refers to never change and
-- are never removed. Content is written in two steps: an upload streams its chunks under a
-- random staging name (which takes no lock anyone else waits for), then the evidence's
-- transaction gives them their digest with store_content, or keeps the copy stored already.
-- Content no evidence refers to any more goes only through release_content, which the audit
-- trail records. Whoever writes, the triggers refuse anything else.

-- +goose Up
ALTER TABLE blobs ADD COLUMN staged boolean NOT NULL DEFAULT false;

-- +goose StatementBegin
CREATE FUNCTION content_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'stored content is append-only' USING ERRCODE = 'P0001';
  END IF;
  IF EXISTS (SELECT 1 FROM evidence WHERE sha256 = OLD.sha256) THEN
    RAISE EXCEPTION 'stored content % is evidence: it cannot change', OLD.sha256 USING ERRCODE = 'P0001';
  END IF;
  IF TG_TABLE_NAME = 'blob_chunks' AND TG_OP = 'UPDATE' THEN
    -- A chunk may be renamed with its content (stored under its digest), never rewritten.
    IF NEW.data IS DISTINCT FROM OLD.data OR NEW.seq <> OLD.seq THEN
      RAISE EXCEPTION 'stored content is append-only' USING ERRCODE = 'P0001';
    END IF;
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- Gives staged content its digest, which it checks, and its size; when content with that
-- digest is stored already, keeps that copy (held until the caller's transaction ends, so that
-- no release takes it meanwhile) and drops the staged one.
CREATE FUNCTION store_content(staging text, digest text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  actual text;
  size bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM blobs WHERE sha256 = staging AND staged) THEN
    RAISE EXCEPTION 'no staged content %', staging USING ERRCODE = 'P0002';
  END IF;
  SELECT encode(sha256(coalesce(string_agg(data, ''::bytea ORDER BY seq), ''::bytea)), 'hex'), coalesce(sum(length(data)), 0)
    INTO actual, size FROM blob_chunks WHERE sha256 = staging;
  IF actual <> digest THEN
    RAISE EXCEPTION 'staged content % hashes to %, not %', staging, actual, digest USING ERRCODE = 'P0002';
  END IF;
  UPDATE blobs SET size_bytes = size WHERE sha256 = staging;
  LOOP
    PERFORM 1 FROM blobs WHERE sha256 = digest AND NOT staged FOR KEY SHARE;
    IF FOUND THEN
      DELETE FROM blobs WHERE sha256 = staging;
      RETURN;
    END IF;
    BEGIN
      UPDATE blobs SET sha256 = digest, staged = false WHERE sha256 = staging;
      RETURN;
    EXCEPTION WHEN unique_violation THEN
      -- Stored meanwhile by another upload: keep that one.
    END;
  END LOOP;
END
$$;

-- Drops staged content: an upload's whose evidence was not recorded, or any staged a day ago
-- and never stored (its upload's process ended in between).
CREATE FUNCTION discard_staged(staging text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$
  DELETE FROM blobs WHERE staged AND (sha256 = staging OR created_at < now() - interval '1 day')
$$;

-- Removes content no evidence refers to, and records that in the audit trail. True when it
-- was removed. It waits for a transaction that is storing the same content to end.
CREATE FUNCTION release_content(digest text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  b blobs;
BEGIN
  SELECT * INTO b FROM blobs WHERE sha256 = digest AND NOT staged FOR UPDATE;
  IF NOT FOUND OR EXISTS (SELECT 1 FROM evidence WHERE sha256 = digest) THEN
    RETURN false;
  END IF;
  DELETE FROM blobs WHERE sha256 = digest;
  PERFORM audit_append('content.release', 'content', NULL,
    jsonb_build_object('sha256', b.sha256, 'size_bytes', b.size_bytes, 'created_at', b.created_at), NULL);
  RETURN true;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER content_frozen BEFORE UPDATE OR DELETE ON blobs FOR EACH ROW EXECUTE FUNCTION content_frozen();
CREATE TRIGGER content_frozen BEFORE UPDATE OR DELETE ON blob_chunks FOR EACH ROW EXECUTE FUNCTION content_frozen();
CREATE TRIGGER content_append_only BEFORE TRUNCATE ON blobs FOR EACH STATEMENT EXECUTE FUNCTION content_frozen();
CREATE TRIGGER content_append_only BEFORE TRUNCATE ON blob_chunks FOR EACH STATEMENT EXECUTE FUNCTION content_frozen();

-- +goose Down
DROP TRIGGER content_append_only ON blob_chunks;
DROP TRIGGER content_append_only ON blobs;
DROP TRIGGER content_frozen ON blob_chunks;
DROP TRIGGER content_frozen ON blobs;
DROP FUNCTION release_content(text);
DROP FUNCTION discard_staged(text);
DROP FUNCTION store_content(text, text);
DROP FUNCTION content_frozen();
ALTER TABLE blobs DROP COLUMN staged;
