DROP TABLE audit_logs, work_orders, problem_tickets, post_incident_reviews, knowledge_base_articles,
    incident_reports, performance_metrics, rollback_requests, change_requests, root_cause_analysis, workarounds,
    communications, incident_escalations, incident_updates, incidents, service_level_agreements, subscriptions,
    infrastructure_components, products, users, vendors, clients;
DROP FUNCTION audit_logs_refuse_change();
