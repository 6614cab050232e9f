//! Every enumeration of `shared/spec/domain.md`. The strings are the contract: they are stored in the database
//! (which checks them too), used as form values and read by the import.
use strum::{AsRefStr, Display, EnumIter, EnumString, IntoStaticStr, VariantNames};

/// Declares an enumeration whose values are its snake_case variant names, plus a human label for forms.
macro_rules! domain_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident $(= $value:literal)? => $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Display, EnumString, AsRefStr, IntoStaticStr,
                 VariantNames, EnumIter, serde::Serialize, serde::Deserialize)]
        #[strum(serialize_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[strum(serialize = $value)] #[serde(rename = $value)])? $variant),+ }

        impl Choices for $name {
            fn value(self) -> &'static str { self.as_str() }
            fn text(self) -> &'static str { self.label() }
        }

        impl $name {
            /// The stored value, e.g. `on_leave`.
            pub fn as_str(self) -> &'static str { self.into() }
            /// The words shown to people, e.g. "On leave".
            pub fn label(self) -> &'static str { match self { $(Self::$variant => $label),+ } }
            /// Parses a stored or submitted value; `None` for anything outside the enumeration.
            pub fn parse(value: &str) -> Option<Self> { value.parse().ok() }
        }
    };
}

domain_enum!(Role {
    SystemAdministrator => "System administrator",
    IncidentManager => "Incident manager",
    TechnicalSupport => "Technical support",
    AccountManager => "Account manager",
    Executive => "Executive",
    ClientContact => "Client contact",
    VendorContact => "Vendor contact",
});

/// Roles are read from their text column as the enum, so no row carries a role as a string.
impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for Role {
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(bytes)?;
        Role::parse(&text).ok_or_else(|| format!("{text:?} is not a role").into())
    }
}

impl diesel::deserialize::Queryable<diesel::sql_types::Text, diesel::pg::Pg> for Role {
    type Row = Self;
    fn build(role: Self) -> diesel::deserialize::Result<Self> {
        Ok(role)
    }
}

domain_enum!(UserStatus { Active => "Active", Inactive => "Inactive", OnLeave => "On leave" });

domain_enum!(ClientType {
    Enterprise => "Enterprise", MidMarket => "Mid-market", SmallBusiness => "Small business", Startup => "Startup",
});

domain_enum!(
    /// Status of clients and vendors.
    OrganisationStatus { Active => "Active", Inactive => "Inactive", Suspended => "Suspended" }
);

domain_enum!(VendorType {
    TechnologyProvider => "Technology provider",
    InfrastructureProvider => "Infrastructure provider",
    SecurityProvider => "Security provider",
    ConsultingServices => "Consulting services",
    MaintenanceServices => "Maintenance services",
    CloudProvider => "Cloud provider",
    PaymentProcessor => "Payment processor",
});

domain_enum!(ProductStatus {
    Active => "Active", Deprecated => "Deprecated", Maintenance => "Maintenance", EndOfLife => "End of life",
});

domain_enum!(Environment { Production => "Production", Staging => "Staging", Development => "Development", Testing => "Testing" });

domain_enum!(OperationalStatus {
    Operational => "Operational", Degraded => "Degraded", Offline => "Offline", Maintenance => "Maintenance",
});

domain_enum!(SubscriptionType {
    Trial => "Trial", LimitedService => "Limited service", FullService => "Full service", Custom => "Custom",
});

domain_enum!(SlaTier { Basic => "Basic", Standard => "Standard", Premium => "Premium" });

domain_enum!(SubscriptionStatus { Active => "Active", Inactive => "Inactive", Cancelled => "Cancelled", Expired => "Expired" });

domain_enum!(
    /// P1 = Critical, P2 = High, P3 = Medium, P4 = Low (the policy's mapping).
    Severity { P1 = "P1" => "P1 Critical", P2 = "P2" => "P2 High", P3 = "P3" => "P3 Medium", P4 = "P4" => "P4 Low" }
);

domain_enum!(
    /// Impact and urgency share one scale.
    Level { Low => "Low", Medium => "Medium", High => "High", Critical => "Critical" }
);

domain_enum!(
    /// Status of incidents and problem tickets.
    IncidentStatus {
        Open => "Open", Investigating => "Investigating", InProgress => "In progress", Resolved => "Resolved", Closed => "Closed",
    }
);

domain_enum!(EscalationLevel { Management => "Management", Technical => "Technical", Executive => "Executive", Vendor => "Vendor" });

domain_enum!(EscalationStatus { Active => "Active", Resolved => "Resolved", Cancelled => "Cancelled" });

domain_enum!(RecipientType {
    ClientContacts => "Client contacts", ExecutiveTeam => "Executive team", TechnicalTeam => "Technical team",
    AllStakeholders => "All stakeholders",
});

domain_enum!(DeliveryMethod {
    Email => "Email", Sms => "SMS", Phone => "Phone", Chat => "Chat", DashboardNotification => "Dashboard notification",
});

domain_enum!(DeliveryStatus { Pending => "Pending", Sent => "Sent", Delivered => "Delivered", Failed => "Failed" });

domain_enum!(Effectiveness {
    FullMitigation => "Full mitigation", PartialMitigation => "Partial mitigation", MinimalImpact => "Minimal impact",
});

domain_enum!(WorkaroundStatus { Active => "Active", Inactive => "Inactive", Replaced => "Replaced" });

domain_enum!(AnalysisMethod {
    FiveWhys => "Five whys", FishboneDiagram => "Fishbone diagram", FaultTreeAnalysis => "Fault tree analysis",
    TimelineAnalysis => "Timeline analysis",
});

domain_enum!(AnalysisStatus { InProgress => "In progress", Completed => "Completed", Reviewed => "Reviewed" });

domain_enum!(ChangeType { Normal => "Normal", Standard => "Standard", Upgrade => "Upgrade", Emergency => "Emergency" });

domain_enum!(RiskLevel { Low => "Low", Medium => "Medium", High => "High" });

domain_enum!(
    /// `rejected` is a PRODUCT ADDITION.
    ChangeStatus {
        Requested => "Requested", InProgress => "In progress", Scheduled => "Scheduled", RolledBack => "Rolled back",
        Completed => "Completed", Failed => "Failed", Approved => "Approved", Rejected => "Rejected",
    }
);

domain_enum!(
    /// `rejected` is a PRODUCT ADDITION.
    RollbackStatus { Requested => "Requested", InProgress => "In progress", Failed => "Failed", Approved => "Approved", Rejected => "Rejected" }
);

domain_enum!(MetricType {
    ResponseTime => "Response time", ResolutionTime => "Resolution time", DetectionTime => "Detection time",
    EscalationTime => "Escalation time",
});

domain_enum!(ReportType {
    ExecutiveSummary => "Executive summary", ComplianceReport => "Compliance report",
    TechnicalDetails => "Technical details", BusinessImpact => "Business impact", PostMortem => "Post-mortem",
});

domain_enum!(ReportStatus { Completed => "Completed", Draft => "Draft", Published => "Published" });

domain_enum!(ArticleType {
    Troubleshooting => "Troubleshooting", ResolutionProcedure => "Resolution procedure",
    PreventionGuide => "Prevention guide", Faq => "FAQ",
});

domain_enum!(ArticleCategory { Technical => "Technical", Process => "Process", Communication => "Communication", Escalation => "Escalation" });

domain_enum!(ArticleStatus { Draft => "Draft", UnderReview => "Under review", Archived => "Archived", Published => "Published" });

domain_enum!(ReviewRating {
    Excellent => "Excellent", Good => "Good", Satisfactory => "Satisfactory", NeedsImprovement => "Needs improvement",
    Poor => "Poor",
});

domain_enum!(ReviewStatus { Scheduled => "Scheduled", Completed => "Completed", Cancelled => "Cancelled" });

domain_enum!(WorkOrderStatus {
    Created => "Created", Assigned => "Assigned", InProgress => "In progress", Completed => "Completed", Cancelled => "Cancelled",
});

domain_enum!(
    /// PRODUCT ADDITION: whether a subscription or SLA is in force.
    ApprovalStatus { Pending => "Waiting for approval", Approved => "Approved", Rejected => "Rejected" }
);

/// The values and labels of an enumeration, for form choices and filters.
pub trait Choices: Sized + Copy + strum::IntoEnumIterator {
    fn value(self) -> &'static str;
    fn text(self) -> &'static str;
    fn choices() -> Vec<(&'static str, &'static str)> {
        Self::iter().map(|v| (v.value(), v.text())).collect()
    }
}

impl Role {
    /// Provider staff act for the provider; contacts act for their client or vendor only.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::ClientContact | Role::VendorContact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_the_contract_strings() {
        assert_eq!(Role::SystemAdministrator.as_str(), "system_administrator");
        assert_eq!(UserStatus::OnLeave.as_str(), "on_leave");
        assert_eq!(Severity::P1.as_str(), "P1");
        assert_eq!(Severity::parse("P4"), Some(Severity::P4));
        assert_eq!(Severity::parse("p4"), None);
        assert_eq!(ChangeStatus::RolledBack.as_str(), "rolled_back");
        assert_eq!(Role::parse("admin"), None);
        assert_eq!(VendorType::VARIANTS.len(), 7);
        assert_eq!(DeliveryMethod::DashboardNotification.label(), "Dashboard notification");
    }
}
