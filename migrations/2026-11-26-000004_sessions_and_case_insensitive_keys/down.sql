DROP TABLE sessions;
DROP INDEX clients_registration_number_key, clients_contact_email_key, vendors_vendor_name_key, vendors_contact_email_key,
    vendors_contact_phone_key, products_product_name_key, infrastructure_components_name_key;
ALTER TABLE clients ADD CONSTRAINT clients_registration_number_key UNIQUE (registration_number), ADD CONSTRAINT clients_contact_email_key UNIQUE (contact_email);
ALTER TABLE vendors ADD CONSTRAINT vendors_vendor_name_key UNIQUE (vendor_name), ADD CONSTRAINT vendors_contact_email_key UNIQUE (contact_email), ADD CONSTRAINT vendors_contact_phone_key UNIQUE (contact_phone);
ALTER TABLE products ADD CONSTRAINT products_product_name_key UNIQUE (product_name);
ALTER TABLE infrastructure_components ADD CONSTRAINT infrastructure_components_name_key UNIQUE NULLS NOT DISTINCT (product_id, component_name);
