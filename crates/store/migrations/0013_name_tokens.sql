-- Each part of a person's names, folded as the search folds it (issue 12: search by
-- name over a million people). A search matches parts by prefix through the index
-- instead of reading every name; the rows are filled from `persons.name_key` when the
-- migration runs (see migrate.rs).
CREATE TABLE person_name_tokens (
    token TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    PRIMARY KEY (token, person_id)
);
CREATE INDEX person_name_tokens_person ON person_name_tokens (person_id);
