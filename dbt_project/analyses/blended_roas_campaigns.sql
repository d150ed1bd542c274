{#- Blended ROAS over a set of campaigns and days, recomputed from sums (macro blended_roas in
    macros/intelligence.sql): sum(conversion_revenue) / sum(spend), never an average of the
    campaigns' ROAS. Parameters are dbt vars, e.g.
    dbt compile -s blended_roas_campaigns --vars '{client_id: acme, start_day: 2026-03-01,
        end_day: 2026-03-31, campaign_keys: [k1, k2]}' -#}
{{ blended_roas(
    var('client_id', 'acme'),
    var('start_day', '2026-01-01'),
    var('end_day', '2026-12-31'),
    var('campaign_keys', none)) }}
