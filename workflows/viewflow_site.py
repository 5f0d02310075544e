"""viewflow's own pages (process chart, process and task details, lists), mounted at /workflow/.

They are for system administrators; agency officers work from the project's inbox and task
pages. ``PlanFlow.has_view_permission`` keeps every list closed to non-superusers and a
process page open only to officers who can see its plan.
"""

from viewflow.urls import Site
from viewflow.workflow.flow import FlowAppViewset

from workflows.flows import PlanFlow

site = Site(title="Quy trình", viewsets=[FlowAppViewset(PlanFlow, icon="assignment")])
