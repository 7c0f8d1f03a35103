-- Tables a plugin registered with row.<plugin>.schema.register (README "Plugin storage"): their fields
-- as JSON, and whether the service made the table (with id, created_at and updated_at it sets) or
-- adopted one the plugin's migrations made. Tables made by migrations and never registered are
-- read from the database's own schema instead. `sql_name` is the table itself: the name, or for a
-- table adopted from Rosey's migrations possibly `<plugin>_<name>`.
CREATE TABLE _rosey_tables (
  name TEXT PRIMARY KEY NOT NULL,
  sql_name TEXT NOT NULL,
  fields TEXT NOT NULL,
  adopted INTEGER NOT NULL,
  registered_at TEXT NOT NULL
) WITHOUT ROWID;
