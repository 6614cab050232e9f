//! The domain's vocabulary: enumerations shared by the rules, the forms, the import and the database checks.
pub mod enums;
