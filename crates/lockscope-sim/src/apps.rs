//! First-party applications, the resources they call, and the client flows that produce
//! sign-ins (which app, which resource, interactive or not, what token comes in).

use crate::tenant::DevKind;

/// A client application or resource: Microsoft's app id and display name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct App {
    pub id: &'static str,
    pub name: &'static str,
}

pub(crate) const EXCHANGE: App = App { id: "00000002-0000-0ff1-ce00-000000000000", name: "Office 365 Exchange Online" };
pub(crate) const TEAMS: App = App { id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264", name: "Microsoft Teams" };
pub(crate) const OUTLOOK_MOBILE: App = App { id: "27922004-5251-4030-b22d-91ecd9a37ea4", name: "Outlook Mobile" };
pub(crate) const AZURE_PORTAL: App = App { id: "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", name: "Azure Portal" };
pub(crate) const OFFICE: App = App { id: "d3590ed6-52b3-4102-aeff-aad2292ab01c", name: "Microsoft Office" };
pub(crate) const BROKER: App =
    App { id: "29d9ed98-a469-4536-ade2-f981bc1d605e", name: "Microsoft Authentication Broker" };

/// Resources (audiences) of the tokens; each has a per-tenant service principal id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Res {
    Exchange,
    Graph,
    SharePoint,
    TeamsServices,
    AzureManagement,
}

impl Res {
    pub(crate) const COUNT: usize = 5;

    pub(crate) fn app(self) -> App {
        match self {
            Res::Exchange => EXCHANGE,
            Res::Graph => App { id: "00000003-0000-0000-c000-000000000000", name: "Microsoft Graph" },
            Res::SharePoint => App { id: "00000003-0000-0ff1-ce00-000000000000", name: "Office 365 SharePoint Online" },
            Res::TeamsServices => App { id: "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", name: "Microsoft Teams Services" },
            Res::AzureManagement => {
                App { id: "797f4846-ba00-4fd7-ba43-dac1f8f63013", name: "Windows Azure Service Management API" }
            }
        }
    }
}

/// A kind of sign-in a client makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Teams redeeming a refresh token (non-interactive).
    TeamsRefresh,
    /// Outlook Mobile redeeming a refresh token (non-interactive).
    OutlookRefresh,
    /// Office desktop apps redeeming a refresh token (non-interactive).
    OfficeRefresh,
    /// The Windows/mobile broker using its primary refresh token (non-interactive).
    BrokerPrt,
    /// Outlook on the web in a browser.
    WebMail,
    /// The Azure portal in a browser.
    WebPortal,
    /// Office desktop sign-in.
    OfficeDesktop,
    /// Teams desktop sign-in.
    TeamsDesktop,
    /// Outlook Mobile sign-in.
    OutlookMobile,
    /// A native mail app polling Exchange ActiveSync with a stored password.
    ActiveSync,
    /// Legacy SMTP AUTH (spray tooling).
    Smtp,
    /// Legacy IMAP (spray tooling).
    Imap,
    /// A script using the resource-owner password grant (brute force).
    Ropc,
    /// A browser-like spray tool.
    WebSpray,
}

/// What a flow looks like in the log.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FlowInfo {
    pub app: App,
    pub resource: Res,
    pub client: &'static str,
    pub interactive: bool,
    /// Non-interactive flows that present a refresh token (revocation makes them fail 50173).
    pub refresh: bool,
    /// Legacy authentication (report-only legacy block policy fails).
    pub legacy: bool,
    pub protocol: &'static str,
}

const MODERN: &str = "Mobile Apps and Desktop clients";

impl Flow {
    pub(crate) fn info(self) -> FlowInfo {
        let f = |app, resource, client, interactive, refresh, legacy, protocol| FlowInfo {
            app,
            resource,
            client,
            interactive,
            refresh,
            legacy,
            protocol,
        };
        match self {
            Flow::TeamsRefresh => f(TEAMS, Res::TeamsServices, MODERN, false, true, false, "none"),
            Flow::OutlookRefresh => f(OUTLOOK_MOBILE, Res::Exchange, MODERN, false, true, false, "none"),
            Flow::OfficeRefresh => f(OFFICE, Res::SharePoint, MODERN, false, true, false, "none"),
            Flow::BrokerPrt => f(BROKER, Res::Graph, MODERN, false, false, false, "none"),
            Flow::WebMail => f(EXCHANGE, Res::Exchange, "Browser", true, false, false, "none"),
            Flow::WebPortal => f(AZURE_PORTAL, Res::AzureManagement, "Browser", true, false, false, "none"),
            Flow::OfficeDesktop => f(OFFICE, Res::Exchange, MODERN, true, false, false, "none"),
            Flow::TeamsDesktop => f(TEAMS, Res::TeamsServices, MODERN, true, false, false, "none"),
            Flow::OutlookMobile => f(OUTLOOK_MOBILE, Res::Exchange, MODERN, true, false, false, "none"),
            Flow::ActiveSync => f(EXCHANGE, Res::Exchange, "Exchange ActiveSync", true, false, true, "ropc"),
            Flow::Smtp => f(EXCHANGE, Res::Exchange, "Authenticated SMTP", true, false, true, "ropc"),
            Flow::Imap => f(EXCHANGE, Res::Exchange, "IMAP4", true, false, true, "ropc"),
            Flow::Ropc => f(OFFICE, Res::Graph, MODERN, true, false, false, "ropc"),
            Flow::WebSpray => f(OFFICE, Res::Graph, "Browser", true, false, false, "none"),
        }
    }

    /// Non-interactive flows a device of this kind runs in the background.
    pub(crate) fn background(kind: DevKind) -> &'static [(Flow, u32)] {
        match kind {
            DevKind::WindowsPc => &[(Flow::TeamsRefresh, 3), (Flow::OfficeRefresh, 3), (Flow::BrokerPrt, 2)],
            DevKind::Mac => &[(Flow::TeamsRefresh, 3), (Flow::OfficeRefresh, 3)],
            DevKind::IPhone | DevKind::Android => {
                &[(Flow::OutlookRefresh, 4), (Flow::TeamsRefresh, 2), (Flow::BrokerPrt, 1)]
            }
            DevKind::LegacyMail => &[],
        }
    }

    /// Interactive flows a person starts on a device of this kind.
    pub(crate) fn foreground(kind: DevKind, admin: bool) -> &'static [(Flow, u32)] {
        match (kind, admin) {
            (DevKind::WindowsPc, false) => &[(Flow::WebMail, 3), (Flow::OfficeDesktop, 2), (Flow::TeamsDesktop, 1)],
            (DevKind::WindowsPc, true) => &[(Flow::WebMail, 2), (Flow::OfficeDesktop, 1), (Flow::WebPortal, 3)],
            (DevKind::Mac, false) => &[(Flow::WebMail, 3), (Flow::OfficeDesktop, 2)],
            (DevKind::Mac, true) => &[(Flow::WebMail, 2), (Flow::WebPortal, 3)],
            (DevKind::IPhone | DevKind::Android, _) => &[(Flow::OutlookMobile, 1)],
            (DevKind::LegacyMail, _) => &[],
        }
    }

    /// The user agent a client of this flow sends from a device of this kind.
    pub(crate) fn user_agent(self, kind: DevKind) -> &'static str {
        use DevKind::*;
        match (self, kind) {
            (Flow::WebMail | Flow::WebPortal, WindowsPc) => {
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0"
            }
            (Flow::WebMail | Flow::WebPortal, Mac) => {
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
            }
            (Flow::TeamsRefresh | Flow::TeamsDesktop, WindowsPc) => {
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0 Teams/24074.2321.2810.3500/49"
            }
            (Flow::TeamsRefresh | Flow::TeamsDesktop, Mac) => {
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Teams/24074.2321.2810.3500/49"
            }
            (Flow::TeamsRefresh, IPhone) => "TeamsMobile-iOS/6.6.0 (iPhone; iOS 17.4.1)",
            (Flow::TeamsRefresh, _) => "TeamsMobile-Android/1416/1.0.0.2024053301",
            (Flow::OfficeRefresh | Flow::OfficeDesktop, Mac) => {
                "Microsoft Office/16.0 (Macintosh; Mac OS X 14.4; Microsoft Outlook 16.84.424; Pro)"
            }
            (Flow::OfficeRefresh | Flow::OfficeDesktop, _) => {
                "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)"
            }
            (Flow::OutlookRefresh | Flow::OutlookMobile, Android) => {
                "Outlook-Android/2.0 (Android 14; Pixel 7) 4.2416.1"
            }
            (Flow::OutlookRefresh | Flow::OutlookMobile, _) => "Outlook-iOS/709.2189123.prod.iphone (4.2416.1)",
            (Flow::BrokerPrt, WindowsPc) => "Windows-AzureAD-Authentication-Provider/1.0",
            (Flow::BrokerPrt, _) => "MicrosoftAuthenticator/6.8.7 (iOS 17.4.1)",
            (Flow::ActiveSync, _) => "Apple-iPad8C1/1905.39",
            (Flow::Smtp | Flow::Imap, _) => "BAV2ROPC",
            (Flow::Ropc, _) => "python-requests/2.32.3",
            (Flow::WebSpray, _) => "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
            (_, IPhone | LegacyMail) => {
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
            }
            (_, Android) => {
                "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"
            }
        }
    }
}
