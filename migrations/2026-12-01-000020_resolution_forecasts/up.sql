-- The breach forecast's figures (issue 19): for each severity and each component, product and category, how many
-- resolved (or closed) incidents there are and the median and 80th percentile of their minutes from detection to
-- resolution, so a page looks a forecast up by key instead of aggregating the history on every view. `basis` is
-- what the key is, in the order a forecast tries them: 1 the component, 2 the product, 3 the category.
-- Derived data, neither imported nor exported nor audited: the incident service refreshes an incident's keys in
-- the transaction that resolves or reopens it (src/forecast/queries.rs), and a bulk load computes them all at its
-- end, as below.
CREATE TABLE resolution_forecasts (
    severity text NOT NULL,
    basis smallint NOT NULL CHECK (basis IN (1, 2, 3)),
    key text NOT NULL,
    n bigint NOT NULL,
    median_minutes double precision NOT NULL,
    p80_minutes double precision NOT NULL,
    PRIMARY KEY (severity, basis, key)
);

-- Resolved incidents by category, for refreshing a category's figures (by component there is
-- incidents_resolved_component_idx).
CREATE INDEX incidents_resolved_category_idx ON incidents (category, severity) WHERE status IN ('resolved', 'closed');

INSERT INTO resolution_forecasts
SELECT d.severity, d.basis, d.key, count(d.minutes), percentile_cont(0.5) WITHIN GROUP (ORDER BY d.minutes),
       percentile_cont(0.8) WITHIN GROUP (ORDER BY d.minutes)
FROM (SELECT i.severity, v.basis, v.key,
             extract(epoch FROM i.resolution_timestamp - i.detection_timestamp)::double precision / 60 AS minutes
      FROM incidents i JOIN infrastructure_components c USING (component_id)
      CROSS JOIN LATERAL (VALUES (1::smallint, i.component_id::text), (2::smallint, c.product_id::text),
                                 (3::smallint, i.category)) v (basis, key)
      WHERE i.status IN ('resolved', 'closed') AND i.resolution_timestamp IS NOT NULL AND v.key IS NOT NULL) d
GROUP BY 1, 2, 3;
