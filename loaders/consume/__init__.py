"""How people take numbers out of the warehouse: exports (`adwh export`) and client reports
(`adwh report`). Everything here reads the marts schema; no metric is recomputed in Python."""
