-- One database per service: neither service reads the other's tables.
CREATE DATABASE auth;
CREATE DATABASE fitness;
