//! Profitability calls: record one, import many (all or nothing), list a client's.

use std::collections::{HashMap, HashSet};

use crm_kit::{ApiError, ApiResult, Violations, paging, policy::check_portfolio};
use crm_proto::crm::scoring::v1::{
    ImportProfitabilityRequest, ImportProfitabilityResponse, ListProfitabilityRecordsRequest,
    ListProfitabilityRecordsResponse, ProfitabilityRecord, RecordProfitabilityRequest,
};

use super::{Caller, ScoringApp};
use crate::{
    domain::{names, period::Period, policy, profitability},
    store::{NewRecord, Written},
};

/// Most records one ImportProfitability call takes.
pub const MAX_IMPORT: usize = 1000;

impl ScoringApp {
    /// RecordProfitability: upserts one client's record of one period (ADMIN, RISK_ANALYST,
    /// CHANNEL; managers for their portfolio).
    pub async fn record_profitability(
        &self,
        caller: &Caller,
        req: RecordProfitabilityRequest,
    ) -> ApiResult<ProfitabilityRecord> {
        let Some(record) = req.record else { return Err(ApiError::invalid("record", "is required")) };
        policy::can_write(&caller.principal).map_err(|e| e.with_resource(&record.client))?;
        let (_, model) = self.current_params().await?;
        let mut v = Violations::default();
        let valid = profitability::validate("record", &record, &model, &mut v);
        v.check()?;
        let Some((client_id, period, record)) = valid else {
            return Err(ApiError::invalid("record", "is invalid"));
        };
        let client = self.peers.client(&client_id).await?;
        check_portfolio(&caller.principal, &record.client, client.as_ref().map(|c| c.relationship_manager.as_str()))?;
        let mut written =
            self.store.record_profitability(caller.write(), vec![NewRecord { client_id, period, record }]).await?;
        written.pop().map(|(r, _)| r).ok_or_else(|| ApiError::internal(anyhow::anyhow!("no record written")))
    }

    /// ImportProfitability: validates every row, checks every client, then writes all rows
    /// in one transaction.
    pub async fn import_profitability(
        &self,
        caller: &Caller,
        req: ImportProfitabilityRequest,
    ) -> ApiResult<ImportProfitabilityResponse> {
        policy::can_write(&caller.principal).map_err(|e| e.with_resource("profitabilityRecords"))?;
        if req.records.is_empty() || req.records.len() > MAX_IMPORT {
            return Err(ApiError::invalid("records", format!("send 1 to {MAX_IMPORT} records")));
        }
        let (_, model) = self.current_params().await?;
        let mut v = Violations::default();
        let mut rows = Vec::with_capacity(req.records.len());
        let mut seen: HashMap<(String, String), usize> = HashMap::new();
        for (i, record) in req.records.iter().enumerate() {
            let prefix = format!("records[{i}]");
            let Some((client_id, period, record)) = profitability::validate(&prefix, record, &model, &mut v) else {
                continue;
            };
            if let Some(first) = seen.insert((client_id.clone(), record.period.clone()), i) {
                v.add(
                    format!("{prefix}.period"),
                    format!("{} {} is also in records[{first}]", record.client, record.period),
                );
            }
            rows.push((i, NewRecord { client_id, period, record }));
        }
        v.check()?;
        self.check_import_clients(caller, &rows).await?;
        let written =
            self.store.record_profitability(caller.write(), rows.into_iter().map(|(_, r)| r).collect()).await?;
        let count =
            |kind: Written| i32::try_from(written.iter().filter(|(_, w)| *w == kind).count()).unwrap_or(i32::MAX);
        Ok(ImportProfitabilityResponse {
            created_count: count(Written::Created),
            updated_count: count(Written::Updated),
            unchanged_count: count(Written::Unchanged),
        })
    }

    /// Every client of an import must exist; managers may import only their own portfolio
    /// (the caller's role may write: checked first).
    async fn check_import_clients(&self, caller: &Caller, rows: &[(usize, NewRecord)]) -> ApiResult<()> {
        let ids: Vec<String> =
            rows.iter().map(|(_, r)| r.client_id.clone()).collect::<HashSet<_>>().into_iter().collect();
        let found = self.peers.clients(&ids).await?;
        let managers: HashMap<String, String> =
            found.into_iter().map(|c| (c.name.clone(), c.relationship_manager)).collect();
        let mut v = Violations::default();
        for (i, row) in rows {
            let manager = managers.get(&row.record.client).map(String::as_str);
            match check_portfolio(&caller.principal, &row.record.client, manager) {
                Ok(()) => {}
                Err(err) if err.code() == tonic::Code::NotFound => {
                    v.add(format!("records[{i}].client"), format!("{} does not exist", row.record.client));
                }
                Err(err) => return Err(err),
            }
        }
        v.check()
    }

    /// ListProfitabilityRecords: newest period first.
    pub async fn list_profitability(
        &self,
        caller: &Caller,
        req: ListProfitabilityRecordsRequest,
    ) -> ApiResult<ListProfitabilityRecordsResponse> {
        policy::can_read_profitability(&caller.principal).map_err(|e| e.with_resource(&req.parent))?;
        let client_id = names::client_id(&req.parent)
            .ok_or_else(|| ApiError::invalid("parent", "must be of the form clients/{client}"))?;
        let size = paging::page_size(req.page_size)?;
        let query = format!("profitability|{client_id}");
        let after: Option<(i64, i64)> = self.tokens.cursor(&query, &req.page_token)?;
        let mut records = self.store.list_profitability(client_id, after, size + 1).await?;
        let more = records.len() > size;
        records.truncate(size);
        let next_page_token = match records.last() {
            Some(last) if more => {
                let period = Period::parse(&last.period)
                    .map_err(|why| ApiError::internal(anyhow::anyhow!("stored period {}: {why}", last.period)))?;
                self.tokens.encode(&query, &(period.end_index(), i64::from(period.months())))
            }
            _ => String::new(),
        };
        Ok(ListProfitabilityRecordsResponse { records, next_page_token })
    }
}
