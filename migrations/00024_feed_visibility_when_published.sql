-- The change feed's trigger looked up the plan of a progress update's measure at every write
-- of the update (60–150 µs), to narrow a visibility that is 'internal' anyway until the update
-- is approved: nothing is narrower. It now looks the plan up only for an approved or
-- superseded update, the writes whose change partners or the public may see. The visibility
-- recorded is the same. Only that line of the function changes, so it is replaced in place.

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE
  def text := pg_get_functiondef('record_change'::regproc);
  was text := $l$    vis := visibility_min(vis, coalesce((SELECT plan_visibility(m.plan_id) FROM measures m WHERE m.id = r.measure_id), 'internal'));$l$;
BEGIN
  IF position(was IN def) = 0 THEN
    RAISE EXCEPTION 'record_change is not the function of migration 00023';
  END IF;
  EXECUTE replace(def, was, $n$    IF vis <> 'internal' THEN
      vis := visibility_min(vis, coalesce((SELECT plan_visibility(m.plan_id) FROM measures m WHERE m.id = r.measure_id), 'internal'));
    END IF;$n$);
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
  def text := pg_get_functiondef('record_change'::regproc);
  was text := $n$    IF vis <> 'internal' THEN
      vis := visibility_min(vis, coalesce((SELECT plan_visibility(m.plan_id) FROM measures m WHERE m.id = r.measure_id), 'internal'));
    END IF;$n$;
BEGIN
  IF position(was IN def) = 0 THEN
    RAISE EXCEPTION 'record_change is not the function of migration 00024';
  END IF;
  EXECUTE replace(def, was, $l$    vis := visibility_min(vis, coalesce((SELECT plan_visibility(m.plan_id) FROM measures m WHERE m.id = r.measure_id), 'internal'));$l$);
END
$$;
-- +goose StatementEnd
