-- atlas: anything the atlas's figures rest on moved (places, indicators and their
-- values, events, categories, priority indices), so servers drop the maps and
-- rankings they keep in memory.
INSERT INTO data_versions (name, version) VALUES ('atlas', 1);
