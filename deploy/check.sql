-- The restore check: one JSON line that a backup and its restore must agree on.
-- Counts of the main tables and the money of one plan (the one with the most budget lines,
-- lowest id first) per funding source code of its period, in the order and format psql prints
-- them, so two runs compare as text.
SELECT json_build_object(
  'units', (SELECT count(*) FROM directory_administrativeunit),
  'agencies', (SELECT count(*) FROM directory_agency),
  'users', (SELECT count(*) FROM directory_user),
  'plans', (SELECT count(*) FROM planning_plan),
  'lines', (SELECT count(*) FROM planning_budgetline),
  'line_amounts', (SELECT count(*) FROM planning_lineamount),
  'audit_events', (SELECT count(*) FROM approvals_auditevent),
  'notifications', (SELECT count(*) FROM notifications_notification),
  'plan', (
    SELECT json_build_object(
      'id', p.id,
      'unit', u.code,
      'status', p.status,
      'lines', count(l.id),
      'amounts', (
        SELECT coalesce(json_object_agg(s.code, t.amount ORDER BY s.position, s.id), '{}'::json)
        FROM (
          SELECT a.source_id, sum(a.amount) AS amount
          FROM planning_lineamount a
          JOIN planning_budgetline al ON al.id = a.line_id
          WHERE al.plan_id = p.id
          GROUP BY a.source_id
        ) t
        JOIN planning_fundingsource s ON s.id = t.source_id
      )
    )
    FROM planning_plan p
    JOIN directory_administrativeunit u ON u.id = p.unit_id
    LEFT JOIN planning_budgetline l ON l.plan_id = p.id
    GROUP BY p.id, u.code
    ORDER BY count(l.id) DESC, p.id
    LIMIT 1
  )
);
