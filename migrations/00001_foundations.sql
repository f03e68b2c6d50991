-- Extensions, collations and helper functions every later table relies on.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Orders codes the way people read them: "1.2" before "1.10".
CREATE COLLATION natural_sort (provider = icu, locale = 'und-u-kn-true');

-- Multilingual text is a JSON object whose keys are locales (tg, ru, en) and whose values are
-- non-empty strings.
-- +goose StatementBegin
CREATE FUNCTION i18n_valid(t jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_typeof(t) = 'object' AND NOT EXISTS (
    SELECT 1 FROM jsonb_each(t) AS e
    WHERE e.key NOT IN ('tg', 'ru', 'en')
       OR jsonb_typeof(e.value) <> 'string'
       OR btrim(e.value #>> '{}') = '')
$$;
-- +goose StatementEnd

-- The lower-cased text of every language, for substring search. ICU lower-cases Cyrillic and
-- Tajik letters whatever the database's own locale is.
-- +goose StatementBegin
CREATE FUNCTION i18n_search(t jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(concat_ws(' ', t->>'en', t->>'ru', t->>'tg') COLLATE "und-x-icu")
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION i18n_search(jsonb);
DROP FUNCTION i18n_valid(jsonb);
DROP COLLATION natural_sort;
DROP EXTENSION IF EXISTS pg_trgm;
