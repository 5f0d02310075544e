-- The two database roles of CTMTQG, and what each may do. Idempotent: run it again at will.
--
--   psql "postgres://postgres@HOST:5432/ctmtqg" -v owner=ctmtqg_owner -v app=ctmtqg_app \
--        [-v owner_password=… -v app_password=…] -f deploy/roles.sql
--
-- As a superuser (on a managed service, its administrator role), connected to the application's
-- database. It:
--
-- * creates the roles if they are missing (LOGIN; a password only when given: `\password ROLE`
--   in psql sets one without it appearing in a shell history or process list);
-- * owner: owns the database and every table, sequence, view and function of schema public
--   (whatever owned them before: the superuser after a restore, the single role of an older
--   installation), may create in schema public. `manage.py migrate` connects as this role
--   (DATABASE_OWNER_URL) and nothing else does;
-- * app: the role of DATABASE_URL, used by the web processes, Celery worker and beat. Made
--   NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS and removed from every role it
--   was a member of (so it cannot SET ROLE to the owner); CONNECT to this database only (PUBLIC
--   loses CONNECT and TEMPORARY on it), USAGE on schema public (PUBLIC loses CREATE), and on the
--   tables what deploy/grants.sql says: SELECT, INSERT, UPDATE, DELETE, but only INSERT and
--   SELECT on the audit table approvals_auditevent, plus the owner's default privileges so
--   tables added by later migrations are granted automatically.
--
-- What the app role therefore cannot do: UPDATE, DELETE or TRUNCATE the audit table, TRUNCATE
-- anything, ALTER TABLE … DISABLE TRIGGER (only an owner may), SET session_replication_role
-- (only a superuser may), CREATE/DROP/ALTER any table, create temporary tables or schemas.
-- The owner can still disable the audit triggers; the hash chain (`manage.py audit_verify`)
-- is what shows such an edit afterwards.
\set ON_ERROR_STOP on

\if :{?owner}
\else
DO $$ BEGIN RAISE EXCEPTION 'roles.sql: pass -v owner=ROLE (owns the tables, runs the migrations)'; END $$;
\endif
\if :{?app}
\else
DO $$ BEGIN RAISE EXCEPTION 'roles.sql: pass -v app=ROLE (the application''s restricted role)'; END $$;
\endif

SELECT :'owner' = :'app' AS same, :'app' = current_user AS app_is_me \gset roles_
\if :roles_same
DO $$ BEGIN RAISE EXCEPTION 'roles.sql: the owner and the application role must be two different roles'; END $$;
\endif
\if :roles_app_is_me
DO $$ BEGIN RAISE EXCEPTION 'roles.sql: connect as a superuser, not as the application role it restricts'; END $$;
\endif

-- The roles.
SELECT format('CREATE ROLE %I LOGIN', :'owner') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', :'app') \gexec
SELECT format('REVOKE %I FROM %I', r.rolname, :'app')
  FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
 WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = :'app') \gexec
\if :{?owner_password}
SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', :'owner_password') \gexec
\endif
\if :{?app_password}
SELECT format('ALTER ROLE %I PASSWORD %L', :'app', :'app_password') \gexec
\endif
SELECT rolsuper AS owner_is_superuser FROM pg_roles WHERE rolname = :'owner' \gset roles_
\if :roles_owner_is_superuser
\echo 'roles.sql: WARNING: the owner role is a superuser; a plain role is enough to migrate (ALTER ROLE … NOSUPERUSER)'
\endif

-- The database and schema public.
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), :'owner') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), :'app') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'app') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('REVOKE ALL ON SCHEMA public FROM %I', :'app') \gexec
SELECT format('GRANT USAGE ON SCHEMA public TO %I', :'app') \gexec
SELECT format('GRANT USAGE, CREATE ON SCHEMA public TO %I', :'owner') \gexec

-- Everything in schema public belongs to the owner. A table takes its indexes and the sequences
-- of its identity/serial columns along; free-standing sequences, functions and types follow.
SELECT format('ALTER %s %s OWNER TO %I',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                             WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
              c.oid::regclass, :'owner')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND pg_get_userbyid(c.relowner) <> :'owner'
 ORDER BY c.oid \gexec
SELECT format('ALTER SEQUENCE %s OWNER TO %I', c.oid::regclass, :'owner')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> :'owner'
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                             AND d.deptype IN ('a', 'i'))
 ORDER BY c.oid \gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :'owner')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p') AND pg_get_userbyid(p.proowner) <> :'owner'
   AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                                             AND d.deptype = 'e')
 ORDER BY p.oid \gexec
SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, :'owner')
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r') AND pg_get_userbyid(t.typowner) <> :'owner'
 ORDER BY t.oid \gexec

-- The application role's privileges on the tables (also run by `manage.py migrate`).
SELECT set_config('ctmtqg.app_role', :'app', false) AS app_role,
       set_config('ctmtqg.owner_role', :'owner', false) AS owner_role \gset roles_
\ir grants.sql

SELECT format('roles.sql: database %s and its tables owned by %s; %s may use them (audit table: INSERT and SELECT only)',
              current_database(), :'owner', :'app') AS done \gset roles_
\echo :roles_done
