-- tui-crm store schema.
--
-- The file is a sequence of numbered migrations. Each starts with a line
--   -- migration: N short-name
-- and is applied once, in order, inside one transaction, when the store is opened.
-- Never edit a migration that has shipped: add a new one at the end.
-- The applied version is recorded in schema_migrations; a file whose version is
-- newer than the last migration here is refused (see tui_crm/store/db.py).

-- migration: 1 mirror
-- The mirror: what accounting knows, replaced batch by batch by the pull jobs.
-- Ids are 1C Ref_Key values (uuid text). Money is DECIMAL, never DOUBLE.
CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE warehouses (
    id            VARCHAR PRIMARY KEY,
    code          VARCHAR NOT NULL DEFAULT '',
    name          VARCHAR NOT NULL,
    is_folder     BOOLEAN NOT NULL DEFAULT FALSE,
    deletion_mark BOOLEAN NOT NULL DEFAULT FALSE,
    data_version  VARCHAR NOT NULL DEFAULT ''
);

CREATE TABLE price_types (
    id            VARCHAR PRIMARY KEY,
    code          VARCHAR NOT NULL DEFAULT '',
    name          VARCHAR NOT NULL,
    includes_vat  BOOLEAN NOT NULL DEFAULT TRUE,
    currency_id   VARCHAR,
    deletion_mark BOOLEAN NOT NULL DEFAULT FALSE,
    data_version  VARCHAR NOT NULL DEFAULT ''
);

-- Products carry a precomputed lower-case search column (code, article and name):
-- a keystroke search reads one column with contains(), no ILIKE over joins.
CREATE TABLE products (
    id            VARCHAR PRIMARY KEY,
    code          VARCHAR NOT NULL DEFAULT '',
    article       VARCHAR NOT NULL DEFAULT '',
    name          VARCHAR NOT NULL,
    full_name     VARCHAR NOT NULL DEFAULT '',
    unit_id       VARCHAR,
    unit_name     VARCHAR NOT NULL DEFAULT '',
    vat_rate      VARCHAR NOT NULL DEFAULT '',
    is_service    BOOLEAN NOT NULL DEFAULT FALSE,
    deletion_mark BOOLEAN NOT NULL DEFAULT FALSE,
    data_version  VARCHAR NOT NULL DEFAULT '',
    search        VARCHAR NOT NULL DEFAULT ''
);

-- Current price per price type (SliceLast of ЦеныНоменклатуры).
CREATE TABLE prices (
    price_type_id VARCHAR NOT NULL,
    product_id    VARCHAR NOT NULL,
    price         DECIMAL(15, 2) NOT NULL,
    unit_id       VARCHAR,
    period        TIMESTAMP
);

-- Stock per warehouse: on hand (ТоварыНаСкладах) and reserved (ТоварыВРезервеНаСкладах).
-- Big (products x warehouses), so no primary key: it is replaced whole or by warehouse.
CREATE TABLE stock (
    warehouse_id  VARCHAR NOT NULL,
    product_id    VARCHAR NOT NULL,
    on_hand       DECIMAL(15, 3) NOT NULL DEFAULT 0,
    reserved      DECIMAL(15, 3) NOT NULL DEFAULT 0
);

-- Denormalised table the product picker reads: one row per (warehouse, product),
-- rebuilt after each pull of products or stock and swapped in inside the same transaction.
CREATE TABLE picker (
    warehouse_id  VARCHAR NOT NULL,
    product_id    VARCHAR NOT NULL,
    code          VARCHAR NOT NULL,
    article       VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    unit_name     VARCHAR NOT NULL,
    vat_rate      VARCHAR NOT NULL,
    search        VARCHAR NOT NULL,
    on_hand       DECIMAL(15, 3) NOT NULL,
    reserved      DECIMAL(15, 3) NOT NULL,
    free_stock    DECIMAL(15, 3) NOT NULL
);

-- One row per sync job run: what the status bar and the sync screen show.
CREATE SEQUENCE sync_runs_seq;
CREATE TABLE sync_runs (
    id            BIGINT PRIMARY KEY DEFAULT nextval('sync_runs_seq'),
    job           VARCHAR NOT NULL,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    ok            BOOLEAN,
    rows_read     BIGINT NOT NULL DEFAULT 0,
    requests      BIGINT NOT NULL DEFAULT 0,
    error         VARCHAR
);
