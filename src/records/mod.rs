//! Records described as data: the administered ones (clients, users, vendors, products, components,
//! subscriptions, SLAs) and the policy's procedure records (problem tickets, work orders, …).
//! Each record type is described once (`resources`); the pages, checks and queries follow the description.
pub mod columns;
pub mod handlers;
pub mod history;
pub mod kinds;
pub mod procedure_service;
pub mod procedures;
pub mod queries;
pub mod resources;
pub mod row;
pub mod rules;
pub mod service;
pub mod spec;
pub mod view;
