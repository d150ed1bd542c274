{{ config(indexes=table_indexes([
    {'columns': ['alert_id'], 'unique': true},
    {'columns': ['client_id', 'is_resolved']},
])) }}

{#- One row per alert episode: a run of consecutive days on which one condition held for one
    client x entity x alert_type (macros/alerts.sql: the stable alert_id, open / resolved).
    Conditions per day (docs/intelligence.md):
      spend_anomaly       mart_metric_anomalies, spend, either direction, its severity
      ctr_drop            mart_metric_anomalies, ctr, down
      conversions_drop    mart_metric_anomalies, conversions, down
    and, built apart by int_alert_episodes__non_anomaly while the anomaly mart still runs
    (their episodes are appended as they are):
      roas_below_target   client ROAS of the trailing 7 days below a 'min' roas target
      cpa_above_target    client CPA of the trailing 7 days above a 'max' cpa target
                          (critical when missed by more than var target_critical_gap)
      high_frequency      a creative's frequency >= var fatigue_high_frequency (warning)
      creative_fatigue    mart_creative_fatigue is_fatigued (refresh: warning, rotate: critical)
      budget_depleted     mart_pacing depleted (critical); overpacing: mart_pacing overpacing (warning)
      underperformer      every day of an ISO week listed by mart_underperformers (warning)
      data_missing        mart_data_coverage missing_file / failed (warning)
      data_rejected       mart_data_coverage rejected (critical)
    Rebuilt in full from the day-level histories (the incremental marts keep theirs). -#}

with anomaly_conditions as (
    select
        client_id,
        entity_type,
        entity_id,
        entity_name,
        case metric_name
            when 'spend' then 'spend_anomaly'
            when 'ctr' then 'ctr_drop'
            else 'conversions_drop'
        end as alert_type,
        date_day,
        {{ severity_rank('severity') }} as severity_rank,
        metric_name,
        baseline_mean
        + case when direction = 'up' then 1 else -1 end
        * {{ var('anomaly_z_warning') }} * baseline_stddev as threshold,
        metric_value as actual_value,
        {{ dbt.concat([
            "metric_name", "' '",
            "case when metric_name in ('ctr', 'roas') then " ~ number_text('metric_value', 4)
            ~ " else " ~ number_text('metric_value', 2) ~ " end",
            "' on '", dbt.cast('date_day', dbt.type_string()), "' vs a mean of '",
            "case when metric_name in ('ctr', 'roas') then " ~ number_text('baseline_mean', 4)
            ~ " else " ~ number_text('baseline_mean', 2) ~ " end",
            "' over '", number_text('baseline_days', 0),
            "' days before (z = '", number_text('z_score', 2), "')'"]) }} as detail
    from {{ ref('mart_metric_anomalies') }}
    where
        severity is not null
        and (metric_name = 'spend' or (metric_name in ('ctr', 'conversions') and direction = 'down'))
),

{{ alert_episodes('anomaly_conditions') }}

union all

-- the same macro built that table: the same columns in the same order
select * from {{ ref('int_alert_episodes__non_anomaly') }}  -- noqa: AM04
