-- The restore check: one JSON line that a backup and its restore must agree on.
-- Counts of the main tables and the totals of one plan (the one with the most budget lines,
-- lowest id first), in the order and format psql prints them, so two runs compare as text.
SELECT json_build_object(
  'units', (SELECT count(*) FROM directory_administrativeunit),
  'agencies', (SELECT count(*) FROM directory_agency),
  'users', (SELECT count(*) FROM directory_user),
  'plans', (SELECT count(*) FROM planning_plan),
  'lines', (SELECT count(*) FROM planning_budgetline),
  'audit_events', (SELECT count(*) FROM approvals_auditevent),
  'notifications', (SELECT count(*) FROM notifications_notification),
  'plan', (
    SELECT json_build_object(
      'id', p.id,
      'unit', u.code,
      'status', p.status,
      'lines', count(l.id),
      'central_investment', coalesce(sum(l.central_investment), 0),
      'central_recurrent', coalesce(sum(l.central_recurrent), 0),
      'local', coalesce(sum(l.local), 0),
      'other', coalesce(sum(l.other), 0)
    )
    FROM planning_plan p
    JOIN directory_administrativeunit u ON u.id = p.unit_id
    LEFT JOIN planning_budgetline l ON l.plan_id = p.id
    GROUP BY p.id, u.code
    ORDER BY count(l.id) DESC, p.id
    LIMIT 1
  )
);
