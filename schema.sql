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

-- migration: 2 crm
-- What the operator creates (clients, invoices) and what accounting says about them.
-- Ids of CRM-made objects are the 1C Ref_Key the CRM chose before the first push
-- (idempotent push, docs/architecture.md §3). sync_state: local_only | queued | in_accounting | failed.
CREATE TABLE clients (
    id              VARCHAR PRIMARY KEY,
    kind            VARCHAR NOT NULL,            -- ClientKind.value
    name            VARCHAR NOT NULL,
    full_name       VARCHAR NOT NULL DEFAULT '',
    inn             VARCHAR NOT NULL DEFAULT '',
    kpp             VARCHAR NOT NULL DEFAULT '',
    phones          VARCHAR[] NOT NULL DEFAULT [],
    phone_keys      VARCHAR NOT NULL DEFAULT '',  -- digits of all phones, space separated, for search
    email           VARCHAR NOT NULL DEFAULT '',
    address         VARCHAR NOT NULL DEFAULT '',
    comment         VARCHAR NOT NULL DEFAULT '',
    search          VARCHAR NOT NULL DEFAULT '',  -- lower(name, full name, inn) for type-to-filter
    origin          VARCHAR NOT NULL DEFAULT 'crm', -- crm | accounting
    sync_state      VARCHAR NOT NULL DEFAULT 'local_only',
    sync_error      VARCHAR,
    accounting_code VARCHAR NOT NULL DEFAULT '',
    data_version    VARCHAR NOT NULL DEFAULT '',
    debt            DECIMAL(15, 2),               -- from ВзаиморасчетыСКонтрагентами when known
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

CREATE TABLE invoices (
    id                  VARCHAR PRIMARY KEY,      -- Ref_Key of Document_ЗаказПокупателя
    bill_id             VARCHAR,                  -- Ref_Key of the linked Document_СчетНаОплатуПокупателю
    client_id           VARCHAR NOT NULL,
    warehouse_id        VARCHAR,
    price_type_id       VARCHAR,
    date                TIMESTAMP NOT NULL,
    comment             VARCHAR NOT NULL DEFAULT '',
    amount_includes_vat BOOLEAN NOT NULL DEFAULT TRUE,
    doc_discount_pct    DECIMAL(5, 2) NOT NULL DEFAULT 0,
    total               DECIMAL(15, 2) NOT NULL DEFAULT 0,
    vat_total           DECIMAL(15, 2) NOT NULL DEFAULT 0,
    number              VARCHAR NOT NULL DEFAULT '',  -- 1C's number once accounting has it
    posted              BOOLEAN NOT NULL DEFAULT FALSE,
    deletion_mark       BOOLEAN NOT NULL DEFAULT FALSE,
    data_version        VARCHAR NOT NULL DEFAULT '',
    origin              VARCHAR NOT NULL DEFAULT 'crm',
    sync_state          VARCHAR NOT NULL DEFAULT 'local_only',
    sync_error          VARCHAR,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);

CREATE TABLE invoice_lines (
    invoice_id   VARCHAR NOT NULL,
    line_no      INTEGER NOT NULL,
    product_id   VARCHAR NOT NULL,
    code         VARCHAR NOT NULL DEFAULT '',
    name         VARCHAR NOT NULL DEFAULT '',
    unit         VARCHAR NOT NULL DEFAULT '',
    quantity     DECIMAL(15, 3) NOT NULL,
    price        DECIMAL(15, 2) NOT NULL,
    discount_pct DECIMAL(5, 2) NOT NULL DEFAULT 0,
    amount       DECIMAL(15, 2) NOT NULL,
    vat_rate     VARCHAR NOT NULL,
    vat          DECIMAL(15, 2) NOT NULL,
    PRIMARY KEY (invoice_id, line_no)
);

-- Outbox: one row per object change to push. The object's id (the Ref_Key) is fixed before
-- the first attempt; state: pending | sending | done | failed | discarded.
CREATE SEQUENCE outbox_seq;
CREATE TABLE outbox (
    id              BIGINT PRIMARY KEY DEFAULT nextval('outbox_seq'),
    kind            VARCHAR NOT NULL,        -- client | invoice
    object_id       VARCHAR NOT NULL,
    action          VARCHAR NOT NULL,        -- create | update
    state           VARCHAR NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    step            VARCHAR NOT NULL DEFAULT '',  -- last completed step of a multi-request push
    last_error      VARCHAR,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

-- Accounting-side facts about orders: payments settled against them and shipments made.
CREATE TABLE payments (
    id          VARCHAR NOT NULL,       -- Ref_Key of ПлатежноеПоручениеВходящее / ПриходныйКассовыйОрдер
    kind        VARCHAR NOT NULL,       -- bank | cash
    number      VARCHAR NOT NULL DEFAULT '',
    date        TIMESTAMP,
    invoice_id  VARCHAR NOT NULL,       -- the order (Сделка)
    amount      DECIMAL(15, 2) NOT NULL,
    posted      BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (id, invoice_id)
);

CREATE TABLE shipments (
    id          VARCHAR NOT NULL,       -- Ref_Key of РеализацияТоваровУслуг
    number      VARCHAR NOT NULL DEFAULT '',
    date        TIMESTAMP,
    invoice_id  VARCHAR NOT NULL,
    posted      BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (id, invoice_id)
);

CREATE TABLE shipment_lines (
    shipment_id VARCHAR NOT NULL,
    invoice_id  VARCHAR NOT NULL,
    line_no     INTEGER NOT NULL,
    product_id  VARCHAR NOT NULL,
    quantity    DECIMAL(15, 3) NOT NULL
);

-- Mirror of accounting's counterparties (duplicate checks, clients created in 1C),
-- its organization and the contracts used to write orders.
CREATE TABLE counterparties (
    id            VARCHAR PRIMARY KEY,
    code          VARCHAR NOT NULL DEFAULT '',
    name          VARCHAR NOT NULL,
    full_name     VARCHAR NOT NULL DEFAULT '',
    inn           VARCHAR NOT NULL DEFAULT '',
    kpp           VARCHAR NOT NULL DEFAULT '',
    legal_form    VARCHAR NOT NULL DEFAULT '',
    is_folder     BOOLEAN NOT NULL DEFAULT FALSE,
    deletion_mark BOOLEAN NOT NULL DEFAULT FALSE,
    data_version  VARCHAR NOT NULL DEFAULT ''
);

CREATE TABLE organizations (
    id            VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    inn           VARCHAR NOT NULL DEFAULT '',
    prefix        VARCHAR NOT NULL DEFAULT '',
    data_version  VARCHAR NOT NULL DEFAULT ''
);

CREATE TABLE contracts (
    id               VARCHAR PRIMARY KEY,
    counterparty_id  VARCHAR NOT NULL,
    organization_id  VARCHAR,
    name             VARCHAR NOT NULL DEFAULT '',
    kind             VARCHAR NOT NULL DEFAULT '',   -- ВидДоговора
    settlement       VARCHAR NOT NULL DEFAULT '',   -- ВедениеВзаиморасчетов
    data_version     VARCHAR NOT NULL DEFAULT ''
);

-- migration: 3 sync
-- What the sync engine needs beyond migration 2: company-specific fields (JSON, per profile
-- [custom_fields]), the contract/organization an order was written with, contact details and
-- debt of accounting's counterparties, currencies, and the outbox's claim time.
ALTER TABLE clients ADD COLUMN custom VARCHAR DEFAULT '{}';
ALTER TABLE clients ADD COLUMN contract_id VARCHAR;
ALTER TABLE invoices ADD COLUMN custom VARCHAR DEFAULT '{}';
ALTER TABLE invoices ADD COLUMN contract_id VARCHAR;
ALTER TABLE invoices ADD COLUMN organization_id VARCHAR;
ALTER TABLE invoices ADD COLUMN bill_number VARCHAR DEFAULT '';
ALTER TABLE invoices ADD COLUMN checked_at TIMESTAMP;      -- last time accounting confirmed its state
ALTER TABLE counterparties ADD COLUMN phones VARCHAR DEFAULT '';
ALTER TABLE counterparties ADD COLUMN email VARCHAR DEFAULT '';
ALTER TABLE counterparties ADD COLUMN address VARCHAR DEFAULT '';
ALTER TABLE counterparties ADD COLUMN custom VARCHAR DEFAULT '{}';
ALTER TABLE counterparties ADD COLUMN debt DECIMAL(15, 2);
ALTER TABLE organizations ADD COLUMN kpp VARCHAR DEFAULT '';
ALTER TABLE organizations ADD COLUMN full_name VARCHAR DEFAULT '';
ALTER TABLE organizations ADD COLUMN deletion_mark BOOLEAN DEFAULT FALSE;
ALTER TABLE contracts ADD COLUMN currency_id VARCHAR;
ALTER TABLE contracts ADD COLUMN deletion_mark BOOLEAN DEFAULT FALSE;
ALTER TABLE outbox ADD COLUMN claimed_at TIMESTAMP;
ALTER TABLE sync_runs ADD COLUMN rows_written BIGINT DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN detail VARCHAR;

CREATE TABLE currencies (
    id    VARCHAR PRIMARY KEY,
    code  VARCHAR NOT NULL DEFAULT '',
    name  VARCHAR NOT NULL DEFAULT ''
);

-- Units of measure by id (КА 1.1: owned by the product) with their factor, for order lines.
CREATE TABLE units (
    id        VARCHAR PRIMARY KEY,
    owner_id  VARCHAR,
    name      VARCHAR NOT NULL DEFAULT '',
    factor    DECIMAL(10, 3) NOT NULL DEFAULT 1
);

-- When the payments/shipments of an order were last read from accounting (data age).
CREATE TABLE order_checks (
    invoice_id   VARCHAR PRIMARY KEY,
    payments_at  TIMESTAMP,
    shipments_at TIMESTAMP
);

-- migration: 4 picker search key
-- The picker's search column holds the search key of tui_crm/store/search.py: Cyrillic letters
-- folded onto single ASCII bytes so contains() scans Russian text as fast as Latin (the mapping
-- below must equal search.py's; tests/store/test_search_key.py checks it).
UPDATE picker SET search = translate(search, 'абвгдежзийклмнопрстуфхцчшщъыьэюяё{}|~^`', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ{}|~^`F      ');

-- migration: 5 counterparty phones
-- Accounting's phones of a counterparty as a list (normalised to +7… where they are phone numbers)
-- with the digits key the clients list, F4 and the duplicate check search, like clients.phones /
-- phone_keys. Phones read before this migration become one entry each; the next reference pull
-- rewrites them normalised.
ALTER TABLE counterparties ALTER phones TYPE VARCHAR[] USING (
    CASE WHEN coalesce(phones, '') = '' THEN []::VARCHAR[] ELSE [phones] END);
ALTER TABLE counterparties ALTER phones SET DEFAULT []::VARCHAR[];
ALTER TABLE counterparties ADD COLUMN phone_keys VARCHAR DEFAULT '';
UPDATE counterparties SET phone_keys = regexp_replace(array_to_string(phones, ' '), '[^0-9 ]', '', 'g');

-- migration: 6 edit conflicts
-- Concurrent edits (docs/onec-odata-notes.md, "Conflicts"). base_version: the DataVersion of the
-- accounting object the CRM copy is based on (set when the CRM writes it or takes 1C's version);
-- data_version stays what the last pull saw. Before a PATCH the push compares 1C's DataVersion now
-- with base_version; a change with different field values is a conflict: the outbox item waits in
-- state 'conflict' (and the object's sync_state is 'conflict') until the operator chooses.
ALTER TABLE clients ADD COLUMN base_version VARCHAR DEFAULT '';
ALTER TABLE invoices ADD COLUMN base_version VARCHAR DEFAULT '';
UPDATE clients SET base_version = data_version;
UPDATE invoices SET base_version = data_version;
CREATE SEQUENCE conflict_seq;
CREATE TABLE conflicts (
    id            BIGINT PRIMARY KEY DEFAULT nextval('conflict_seq'),
    outbox_id     BIGINT NOT NULL,
    kind          VARCHAR NOT NULL,           -- client | invoice
    object_id     VARCHAR NOT NULL,
    seen_version  VARCHAR NOT NULL,           -- the DataVersion the CRM copy was based on
    their_version VARCHAR NOT NULL,           -- the DataVersion 1C had when the push looked
    theirs        VARCHAR NOT NULL,           -- JSON: 1C's object as read then
    ours          VARCHAR NOT NULL,           -- JSON: the body the CRM was about to write
    diffs         VARCHAR NOT NULL,           -- JSON: [{"field", "line", "ours", "theirs"}, …]
    created_at    TIMESTAMP NOT NULL,
    resolved_at   TIMESTAMP,
    resolution    VARCHAR                     -- theirs | ours | superseded | sent
);

-- migration: 7 custom catalog items
-- Items of the 1C catalogs that a profile's reference custom fields point to (e.g. an
-- industry catalog): the card's picker lists them, the clients list filters by their names.
CREATE TABLE custom_items (
    id            VARCHAR PRIMARY KEY,
    catalog       VARCHAR NOT NULL,
    code          VARCHAR NOT NULL DEFAULT '',
    name          VARCHAR NOT NULL DEFAULT '',
    deletion_mark BOOLEAN NOT NULL DEFAULT FALSE
);

-- migration: 8 order reserves
-- Reserved quantity per product of each CRM order, read from accounting's reserve register
-- (КА 1.1: ТоварыВРезервеНаСкладах by ДокументРезерва) while the order is on screen and after a
-- reservation the CRM asked for (docs/reservation.md). The request itself is an outbox item of
-- kind 'reserve' (action 'post' or 'request'): its state is the request's state.
CREATE TABLE order_reserves (
    invoice_id VARCHAR NOT NULL,
    product_id VARCHAR NOT NULL,
    reserved   DECIMAL(15,3) NOT NULL,
    PRIMARY KEY (invoice_id, product_id)
);

-- migration: 9 shipment requests
-- Shipment requests the operator sent from the order view (docs/shipment.md): the request's id
-- is also the Ref_Key of the document the CRM writes unposted in accounting (КА 1.1: a
-- РасходныйОрдерНаТовары linked to the order), so a retry after a lost answer finds it instead
-- of writing a second one. Sending it is an outbox item of kind 'shipment' (object_id = id).
-- number / posted / deletion_mark are what accounting last said (the pull, the live job).
CREATE TABLE shipment_requests (
    id            VARCHAR PRIMARY KEY,
    invoice_id    VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    number        VARCHAR NOT NULL DEFAULT '',
    posted        BOOLEAN NOT NULL DEFAULT FALSE,
    deletion_mark BOOLEAN NOT NULL DEFAULT FALSE,
    in_accounting BOOLEAN NOT NULL DEFAULT FALSE,
    checked_at    TIMESTAMP
);
CREATE TABLE shipment_request_lines (
    request_id VARCHAR NOT NULL,
    line_no    INTEGER NOT NULL,        -- the order's line it ships (1-based, effective lines)
    product_id VARCHAR NOT NULL,
    quantity   DECIMAL(15,3) NOT NULL,
    PRIMARY KEY (request_id, line_no)
);

-- migration: 10 debt keys and contact values
-- УТ 11's settlements register (РасчетыСКлиентами) is keyed by analytics keys
-- (Catalog_КлючиАналитикиУчетаПоПартнерам: organization + partner + counterparty + contract), not
-- by client. The reference pull copies key → counterparty here; the debt job adds the balance up
-- per counterparty with it (a key 1C made since is read by id and added).
CREATE TABLE debt_keys (
    id              VARCHAR PRIMARY KEY,
    counterparty_id VARCHAR NOT NULL
);

-- КА 1.1 keeps contact details in an information register whose records have no DataVersion.
-- value: what the CRM last wrote to (or took from) the record of each kind (phone, email,
-- address) of a client; before changing a record the push re-reads it, and a value that is
-- neither this nor ours is an accountant's edit: a conflict. offered: 1C's value shown in an open
-- conflict (the operator's choice makes it the value seen).
CREATE TABLE contact_seen (
    owner_id VARCHAR NOT NULL,
    kind     VARCHAR NOT NULL,
    value    VARCHAR NOT NULL,
    offered  VARCHAR,
    PRIMARY KEY (owner_id, kind)
);

-- migration: 11 bodies sent
-- What the push last wrote per 1C object (entity, key): the last few bodies of creates and
-- PATCHes, written before each request goes out. A write 1C carried out whose answer was lost
-- leaves 1C at a DataVersion the CRM never saw; 1C holding one of these bodies is the CRM's own
-- write, not an accountant's edit — also after the CRM process was killed and started again.
CREATE TABLE sent_bodies (
    entity     VARCHAR NOT NULL,
    object_key VARCHAR NOT NULL,
    seq        BIGINT NOT NULL,
    body       VARCHAR NOT NULL,
    PRIMARY KEY (entity, object_key, seq)
);

-- migration: 12 counterparty comment
-- Accounting's comment on a counterparty (КА 1.1 / БП 3 `Комментарий`, УТ 11
-- `ДополнительнаяИнформация`). The card of a counterparty only accounting has shows it, and the
-- CRM copy made when the operator takes it over starts from it. Before, the copy started empty,
-- and its first write would have blanked 1C's comment. The push caught that as an accountant's
-- edit and parked the client as a false conflict.
ALTER TABLE counterparties ADD COLUMN comment VARCHAR DEFAULT '';

-- migration: 13 settlement objects
-- УТ 11.5: payment rows settle against a settlement object (Catalog_ОбъектыРасчетов), whose
-- `Объект` is the order; its key is not the order's. An object's `Объект` never changes once 1C
-- made it, so each one found is kept here and the payments of an order whose object is known are
-- read without asking 1C for it again (one request per five orders before, on every read). An
-- order may have more than one object (all are kept); an order with none yet is asked again.
CREATE TABLE settlement_objects (
    id       VARCHAR PRIMARY KEY,
    order_id VARCHAR NOT NULL
);
