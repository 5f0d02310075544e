from django.urls import path

from workflows import views

app_name = "workflows"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("plans/<int:plan_id>/task/", views.plan_task, name="plan-task"),
    path("plans/<int:plan_id>/history/", views.plan_history, name="plan-history"),
    path("plans/<int:plan_id>/workbench/", views.workbench, name="workbench"),
]
