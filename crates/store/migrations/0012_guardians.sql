-- A child's (or anyone's) guardian as the officer recorded them (issue 12 point 5):
-- who, how related, how to reach them. Required when the guardian gave the consent.
ALTER TABLE persons ADD COLUMN guardian_name TEXT;
ALTER TABLE persons ADD COLUMN guardian_relation TEXT;
ALTER TABLE persons ADD COLUMN guardian_mobile TEXT;
