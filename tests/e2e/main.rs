//! End-to-end tests: one test binary with modules (each file under tests/ would be its
//! own link step). Every test drives the real `forms` binary over real TLS.

mod access;
mod audit;
mod bad_input;
mod browser;
mod canary;
mod cases;
mod certificate;
mod citizen_login;
mod cli;
mod durability;
mod erase;
mod forms;
mod guard;
mod handover;
mod idle;
mod keys;
mod limit;
mod login;
mod metrics;
mod move_db;
mod newsletter;
mod openapi;
mod outage;
mod reply;
mod retention;
mod store;
mod subject_access;
mod submit;
mod support;
mod vault;
