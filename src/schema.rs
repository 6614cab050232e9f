// @generated from the migrations by a schema dump; keep in step with migrations/.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "tsvector", schema = "pg_catalog"))]
    pub struct Tsvector;
}

diesel::table! {
    audit_logs (audit_id) {
        audit_id -> Int8,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        audit_by_user -> Nullable<Int4>,
        created_at -> Timestamptz,
        actor_role -> Nullable<Text>,
        changes -> Jsonb,
        prev_hash -> Text,
        entry_hash -> Text,
    }
}

diesel::table! {
    audit_verifications (verification_id) {
        verification_id -> Int8,
        requested_by -> Int4,
        started_at -> Timestamptz,
        updated_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        status -> Text,
        total -> Int8,
        checked -> Int8,
        last_id -> Nullable<Int8>,
        head_hash -> Nullable<Text>,
        broken_id -> Nullable<Int8>,
        problem -> Nullable<Text>,
    }
}

diesel::table! {
    change_requests (change_id) {
        change_id -> Int4,
        incident_id -> Nullable<Int4>,
        title -> Text,
        change_type -> Text,
        risk_level -> Text,
        status -> Text,
        requesting_user -> Int4,
        approved_by_user -> Nullable<Int4>,
        scheduled_start_time -> Nullable<Timestamptz>,
        scheduled_end_time -> Nullable<Timestamptz>,
        actual_start_time -> Nullable<Timestamptz>,
        actual_end_time -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        justification -> Nullable<Text>,
        lock_version -> Int4,
        rejected_by_user -> Nullable<Int4>,
        rejection_reason -> Nullable<Text>,
        decided_at -> Nullable<Timestamptz>,
        component_id -> Nullable<Int4>,
    }
}

diesel::table! {
    clients (client_id) {
        client_id -> Int4,
        client_name -> Text,
        registration_number -> Text,
        contact_email -> Text,
        client_type -> Text,
        industry -> Nullable<Text>,
        country -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        lock_version -> Int4,
        incident_notices -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    communications (communication_id) {
        communication_id -> Int4,
        incident_id -> Int4,
        sender_id -> Nullable<Int4>,
        recipient_id -> Nullable<Int4>,
        recipient_type -> Nullable<Text>,
        communication_type -> Text,
        delivery_method -> Text,
        delivery_status -> Text,
        sent_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        lock_version -> Int4,
        message -> Nullable<Text>,
        message_search -> Tsvector,
        failure_reason -> Nullable<Text>,
    }
}

diesel::table! {
    deliveries (delivery_id) {
        delivery_id -> Int4,
        communication_id -> Int4,
        recipient_user_id -> Int4,
        channel -> Text,
        address -> Nullable<Text>,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        first_attempt_at -> Nullable<Timestamptz>,
        claimed_until -> Nullable<Timestamptz>,
        message_id -> Nullable<Text>,
        accepted_as -> Nullable<Text>,
        sent_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        failure_reason -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    incident_escalations (escalation_id) {
        escalation_id -> Int4,
        incident_id -> Int4,
        escalated_by_user -> Int4,
        escalated_to_user -> Int4,
        escalation_level -> Text,
        reason -> Nullable<Text>,
        status -> Text,
        escalated_at -> Timestamptz,
        resolved_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        lock_version -> Int4,
        resolved_by_user -> Nullable<Int4>,
    }
}

diesel::table! {
    incident_reports (report_id) {
        report_id -> Int4,
        incident_id -> Int4,
        report_type -> Text,
        generated_by_user -> Int4,
        status -> Text,
        generated_at -> Timestamptz,
        created_at -> Timestamptz,
        lock_version -> Int4,
        snapshot -> Nullable<Jsonb>,
    }
}

diesel::table! {
    incident_updates (update_id) {
        update_id -> Int4,
        incident_id -> Int4,
        updated_by_user -> Int4,
        update_type -> Text,
        field_changed -> Text,
        old_value -> Text,
        new_value -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    incidents (incident_id) {
        incident_id -> Int4,
        title -> Text,
        category -> Text,
        severity -> Text,
        impact_level -> Text,
        urgency_level -> Text,
        status -> Text,
        client_id -> Int4,
        component_id -> Int4,
        reporter_user_id -> Int4,
        assigned_to_user_id -> Nullable<Int4>,
        detection_timestamp -> Timestamptz,
        resolution_timestamp -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        acknowledged_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        lock_version -> Int4,
        title_search -> Tsvector,
        suspected_change_id -> Nullable<Int4>,
    }
}

diesel::table! {
    infrastructure_components (component_id) {
        component_id -> Int4,
        component_name -> Text,
        component_type -> Text,
        product_id -> Nullable<Int4>,
        environment -> Text,
        location -> Nullable<Text>,
        port_number -> Nullable<Text>,
        operational_status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        lock_version -> Int4,
    }
}

diesel::table! {
    knowledge_base_articles (article_id) {
        article_id -> Int4,
        incident_id -> Nullable<Int4>,
        title -> Text,
        article_type -> Text,
        category -> Text,
        created_by_user -> Int4,
        reviewer_user -> Nullable<Int4>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        body -> Nullable<Text>,
        lock_version -> Int4,
    }
}

diesel::table! {
    performance_metrics (metric_id) {
        metric_id -> Int4,
        incident_id -> Int4,
        metric_type -> Text,
        calculated_value_minutes -> Int4,
        target_minutes -> Nullable<Int4>,
        recorded_by_user -> Int4,
        recorded_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    post_incident_reviews (review_id) {
        review_id -> Int4,
        incident_id -> Int4,
        facilitator_user -> Int4,
        scheduled_date -> Timestamptz,
        overall_rating -> Text,
        status -> Text,
        completed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        notes -> Nullable<Text>,
        lock_version -> Int4,
    }
}

diesel::table! {
    problem_tickets (problem_id) {
        problem_id -> Int4,
        incident_id -> Int4,
        title -> Text,
        status -> Text,
        issued_by_user -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        lock_version -> Int4,
    }
}

diesel::table! {
    products (product_id) {
        product_id -> Int4,
        product_name -> Text,
        product_type -> Text,
        version -> Nullable<Text>,
        support_vendor_id -> Nullable<Int4>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        lock_version -> Int4,
    }
}

diesel::table! {
    rollback_requests (rollback_id) {
        rollback_id -> Int4,
        change_id -> Int4,
        incident_id -> Nullable<Int4>,
        requesting_user -> Int4,
        status -> Text,
        approved_by_user -> Nullable<Int4>,
        completed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        justification -> Nullable<Text>,
        lock_version -> Int4,
        rejected_by_user -> Nullable<Int4>,
        rejection_reason -> Nullable<Text>,
        decided_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    root_cause_analysis (analysis_id) {
        analysis_id -> Int4,
        incident_id -> Int4,
        conducted_by_user -> Int4,
        analysis_method -> Text,
        status -> Text,
        completed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        findings -> Nullable<Text>,
        lock_version -> Int4,
    }
}

diesel::table! {
    service_level_agreements (sla_id) {
        sla_id -> Int4,
        subscription_id -> Int4,
        severity_level -> Nullable<Text>,
        response_time_minutes -> Int4,
        resolution_time_hours -> Int4,
        availability_percentage -> Nullable<Float8>,
        created_at -> Timestamptz,
        lock_version -> Int4,
        approval_status -> Text,
        approval_decided_by -> Nullable<Int4>,
        approval_decided_at -> Nullable<Timestamptz>,
        rejection_reason -> Nullable<Text>,
    }
}

diesel::table! {
    saved_views (view_id) {
        view_id -> Int4,
        user_id -> Int4,
        name -> Text,
        query -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (session_key) {
        session_key -> Text,
        user_id -> Nullable<Int4>,
        state -> Jsonb,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    sign_in_throttle (key) {
        key -> Text,
        failures -> Int4,
        last_attempt_at -> Timestamptz,
        refused -> Int8,
    }
}

diesel::table! {
    subscriptions (subscription_id) {
        subscription_id -> Int4,
        client_id -> Int4,
        product_id -> Int4,
        subscription_type -> Text,
        sla_tier -> Text,
        rto_hours -> Nullable<Int4>,
        start_date -> Date,
        end_date -> Date,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        lock_version -> Int4,
        approval_status -> Text,
        approval_decided_by -> Nullable<Int4>,
        approval_decided_at -> Nullable<Timestamptz>,
        rejection_reason -> Nullable<Text>,
    }
}

diesel::table! {
    users (user_id) {
        user_id -> Int4,
        name -> Text,
        email -> Text,
        role -> Text,
        department -> Nullable<Text>,
        client_id -> Nullable<Int4>,
        vendor_id -> Nullable<Int4>,
        timezone -> Text,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        password_hash -> Nullable<Text>,
        lock_version -> Int4,
    }
}

diesel::table! {
    vendors (vendor_id) {
        vendor_id -> Int4,
        vendor_name -> Text,
        vendor_type -> Text,
        contact_email -> Text,
        contact_phone -> Text,
        status -> Text,
        created_at -> Timestamptz,
        lock_version -> Int4,
    }
}

diesel::table! {
    work_orders (workorder_id) {
        workorder_id -> Int4,
        incident_id -> Nullable<Int4>,
        change_id -> Nullable<Int4>,
        problem_id -> Nullable<Int4>,
        title -> Text,
        work_type -> Text,
        status -> Text,
        assigned_to_user -> Nullable<Int4>,
        created_by_user -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        lock_version -> Int4,
        review_id -> Nullable<Int4>,
    }
}

diesel::table! {
    workarounds (workaround_id) {
        workaround_id -> Int4,
        incident_id -> Int4,
        implemented_by_user -> Int4,
        effectiveness_level -> Text,
        status -> Text,
        implemented_at -> Timestamptz,
        created_at -> Timestamptz,
        description -> Nullable<Text>,
        lock_version -> Int4,
    }
}

diesel::table! {
    notifications (user_id, communication_id) {
        user_id -> Int4,
        communication_id -> Int4,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(audit_logs -> users (audit_by_user));
diesel::joinable!(audit_verifications -> users (requested_by));
diesel::joinable!(change_requests -> incidents (incident_id));
diesel::joinable!(communications -> incidents (incident_id));
diesel::joinable!(deliveries -> communications (communication_id));
diesel::joinable!(deliveries -> users (recipient_user_id));
diesel::joinable!(notifications -> communications (communication_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(incident_escalations -> incidents (incident_id));
diesel::joinable!(incident_reports -> incidents (incident_id));
diesel::joinable!(incident_reports -> users (generated_by_user));
diesel::joinable!(incident_updates -> incidents (incident_id));
diesel::joinable!(incident_updates -> users (updated_by_user));
diesel::joinable!(incidents -> clients (client_id));
diesel::joinable!(incidents -> infrastructure_components (component_id));
diesel::joinable!(infrastructure_components -> products (product_id));
diesel::joinable!(knowledge_base_articles -> incidents (incident_id));
diesel::joinable!(performance_metrics -> incidents (incident_id));
diesel::joinable!(performance_metrics -> users (recorded_by_user));
diesel::joinable!(post_incident_reviews -> incidents (incident_id));
diesel::joinable!(post_incident_reviews -> users (facilitator_user));
diesel::joinable!(problem_tickets -> incidents (incident_id));
diesel::joinable!(problem_tickets -> users (issued_by_user));
diesel::joinable!(products -> vendors (support_vendor_id));
diesel::joinable!(rollback_requests -> change_requests (change_id));
diesel::joinable!(rollback_requests -> incidents (incident_id));
diesel::joinable!(root_cause_analysis -> incidents (incident_id));
diesel::joinable!(root_cause_analysis -> users (conducted_by_user));
diesel::joinable!(service_level_agreements -> subscriptions (subscription_id));
diesel::joinable!(service_level_agreements -> users (approval_decided_by));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(saved_views -> users (user_id));
diesel::joinable!(subscriptions -> clients (client_id));
diesel::joinable!(subscriptions -> products (product_id));
diesel::joinable!(subscriptions -> users (approval_decided_by));
diesel::joinable!(users -> clients (client_id));
diesel::joinable!(users -> vendors (vendor_id));
diesel::joinable!(work_orders -> change_requests (change_id));
diesel::joinable!(work_orders -> incidents (incident_id));
diesel::joinable!(work_orders -> problem_tickets (problem_id));
diesel::joinable!(workarounds -> incidents (incident_id));
diesel::joinable!(workarounds -> users (implemented_by_user));

diesel::allow_tables_to_appear_in_same_query!(
    audit_logs,
    audit_verifications,
    change_requests,
    clients,
    communications,
    deliveries,
    incident_escalations,
    incident_reports,
    incident_updates,
    incidents,
    infrastructure_components,
    knowledge_base_articles,
    notifications,
    performance_metrics,
    post_incident_reviews,
    problem_tickets,
    products,
    rollback_requests,
    root_cause_analysis,
    saved_views,
    service_level_agreements,
    sessions,
    sign_in_throttle,
    subscriptions,
    users,
    vendors,
    work_orders,
    workarounds,
);
