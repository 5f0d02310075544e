-- What the application role may do with the tables, re-applied after every migration and restore.
--
-- Run by the owner role (`manage.py migrate` does it after migrating, when DATABASE_OWNER_URL is
-- set) or by a superuser (deploy/roles.sql includes this file). Needs two session settings:
--
--   SELECT set_config('ctmtqg.app_role', 'ctmtqg_app', false);    -- required
--   SELECT set_config('ctmtqg.owner_role', 'ctmtqg_owner', false); -- default: current_user
--
-- Idempotent, one transaction (a DO block): the application never sees a moment without its
-- grants. Every table and sequence of schema public gets exactly:
--
--   tables           SELECT, INSERT, UPDATE, DELETE (never TRUNCATE, REFERENCES, TRIGGER)
--   approvals_auditevent  SELECT, INSERT only: the audit trail is append-only for the app too
--   django_migrations     SELECT only: /readyz reads it, only the owner migrates
--   sequences        USAGE, SELECT (nextval; not setval)
--
-- and the owner's default privileges give the same to tables and sequences that later migrations
-- create, so a new table works for the app before anyone re-runs this (the audit table's
-- narrower grant is restated here on each run). No ownership, no DDL: the app role can neither
-- ALTER (DISABLE TRIGGER), DROP, TRUNCATE nor CREATE anything; roles.sql keeps it off the schema
-- and database privileges as well.
DO $grants$
DECLARE
    app   text := current_setting('ctmtqg.app_role');
    owner text := coalesce(nullif(current_setting('ctmtqg.owner_role', true), ''), current_user);
    insert_only text[] := ARRAY['approvals_auditevent'];
    read_only   text[] := ARRAY['django_migrations'];
    t text;
BEGIN
    IF app = '' OR app = owner THEN
        RAISE EXCEPTION 'grants.sql: the application role (%) must be set and differ from the owner (%)', app, owner;
    END IF;
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', app);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app);
    FOREACH t IN ARRAY insert_only LOOP
        IF to_regclass(format('public.%I', t)) IS NOT NULL THEN
            EXECUTE format('REVOKE UPDATE, DELETE ON public.%I FROM %I', t, app);
        END IF;
    END LOOP;
    FOREACH t IN ARRAY read_only LOOP
        IF to_regclass(format('public.%I', t)) IS NOT NULL THEN
            EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON public.%I FROM %I', t, app);
        END IF;
    END LOOP;
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I',
        owner, app
    );
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I', owner, app
    );
END
$grants$;
