//! Interactive sign-ins as Microsoft Graph (beta) `signIn` objects.

use crate::clock::{Style, Ts};
use crate::ids::{Guid, Ip, Uti};
use crate::signin::{AuthDetails, DeviceDetail, Kv, Location, MfaDetail, PROCESSING, Policies, Status, View};
use serde::Serialize;

/// `@odata.context` and the start of `value` of a sign-in page.
pub(crate) const PAGE_PREFIX: &str =
    "{\"@odata.context\":\"https://graph.microsoft.com/beta/$metadata#auditLogs/signIns\",\"value\":";

/// Base of `@odata.nextLink`.
pub(crate) const NEXT_LINK: &str = "https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=";

/// Base of `@odata.nextLink` of the non-interactive listing (filtered on `signInEventTypes`).
pub(crate) const NEXT_LINK_NON_INTERACTIVE: &str = "https://graph.microsoft.com/beta/auditLogs/signIns?$filter=signInEventTypes/any(t:%20t%20eq%20'nonInteractiveUser')&$skiptoken=";

/// One `signIn` as `GET /beta/auditLogs/signIns` returns it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SignInRecord<'v, 'a> {
    id: Guid,
    created_date_time: Ts,
    user_display_name: &'a str,
    user_principal_name: &'a str,
    user_id: Guid,
    app_id: &'static str,
    app_display_name: &'static str,
    ip_address: Ip,
    client_app_used: &'static str,
    user_agent: &'a str,
    correlation_id: Guid,
    conditional_access_status: &'static str,
    original_request_id: Guid,
    is_interactive: bool,
    token_issuer_name: &'static str,
    token_issuer_type: &'static str,
    client_credential_type: &'static str,
    processing_time_in_milliseconds: u32,
    risk_detail: &'static str,
    risk_level_aggregated: &'static str,
    risk_level_during_sign_in: &'static str,
    risk_state: &'static str,
    risk_event_types: &'static [&'static str],
    #[serde(rename = "riskEventTypes_v2")]
    risk_event_types_v2: &'static [&'static str],
    resource_display_name: &'static str,
    resource_id: &'static str,
    resource_tenant_id: Guid,
    home_tenant_id: Guid,
    resource_service_principal_id: Guid,
    authentication_requirement: &'static str,
    sign_in_identifier: &'a str,
    sign_in_identifier_type: &'static str,
    sign_in_event_types: [&'static str; 1],
    service_principal_id: &'static str,
    user_type: &'static str,
    flagged_for_review: bool,
    is_tenant_restricted: bool,
    autonomous_system_number: u32,
    cross_tenant_access_type: &'static str,
    unique_token_identifier: Uti,
    incoming_token_type: &'static str,
    authentication_protocol: &'static str,
    original_transfer_method: &'static str,
    session_id: Guid,
    status: Status,
    device_detail: DeviceDetail<'v>,
    location: Location,
    mfa_detail: MfaDetail,
    applied_conditional_access_policies: Policies<'v, 'a>,
    authentication_details: AuthDetails,
    authentication_processing_details: &'static [Kv],
    authentication_requirement_policies: &'static [&'static str],
    session_lifetime_policies: &'static [&'static str],
    network_location_details: &'static [&'static str],
}

impl<'v, 'a> SignInRecord<'v, 'a> {
    /// The record as the `properties` of a diagnostic-settings envelope (formats.md §2.2):
    /// `createdDateTime` with a `+00:00` offset, Conditional Access conditions as integer
    /// bitmasks, `userType` capitalised.
    pub(crate) fn diagnostic(v: &'v View<'a>) -> Self {
        let mut r = Self::new(v);
        r.created_date_time = Ts(v.s.t, Style::TicksOffset);
        r.applied_conditional_access_policies = v.policies(true);
        r.user_type = "Member";
        r
    }

    pub(crate) fn new(v: &'v View<'a>) -> Self {
        let (risk_detail, aggregated, during, state, types) = v.risk();
        let resource = v.info.resource.app();
        SignInRecord {
            id: v.id,
            created_date_time: Ts(v.s.t, Style::Ticks),
            user_display_name: &v.user.display,
            user_principal_name: &v.user.upn,
            user_id: v.user.oid,
            app_id: v.info.app.id,
            app_display_name: v.info.app.name,
            ip_address: v.ip,
            client_app_used: v.info.client,
            user_agent: v.user_agent,
            correlation_id: v.corr,
            conditional_access_status: v.ca_status(),
            original_request_id: v.original,
            is_interactive: v.info.interactive,
            token_issuer_name: "",
            token_issuer_type: "AzureAD",
            client_credential_type: "none",
            processing_time_in_milliseconds: v.processing_ms,
            risk_detail,
            risk_level_aggregated: aggregated,
            risk_level_during_sign_in: during,
            risk_state: state,
            risk_event_types: types,
            risk_event_types_v2: types,
            resource_display_name: resource.name,
            resource_id: resource.id,
            resource_tenant_id: v.tenant.id,
            home_tenant_id: v.tenant.id,
            resource_service_principal_id: v.resource_sp(),
            authentication_requirement: v.requirement(),
            sign_in_identifier: &v.user.upn,
            sign_in_identifier_type: "userPrincipalName",
            sign_in_event_types: [if v.info.interactive { "interactiveUser" } else { "nonInteractiveUser" }],
            service_principal_id: "",
            user_type: "member",
            flagged_for_review: false,
            is_tenant_restricted: false,
            autonomous_system_number: v.asn(),
            cross_tenant_access_type: "none",
            unique_token_identifier: v.id.uti(),
            incoming_token_type: v.incoming_token_type(),
            authentication_protocol: v.info.protocol,
            original_transfer_method: "none",
            session_id: v.session,
            status: v.status(),
            device_detail: v.device_detail(),
            location: v.location(true),
            mfa_detail: v.mfa_detail(),
            applied_conditional_access_policies: v.policies(false),
            authentication_details: v.auth_details(),
            authentication_processing_details: &PROCESSING,
            authentication_requirement_policies: &[],
            session_lifetime_policies: &[],
            network_location_details: &[],
        }
    }
}
