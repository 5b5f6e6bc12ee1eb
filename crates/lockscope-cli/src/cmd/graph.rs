//! What `apply` and `collect` share: how to reach Microsoft Graph.

use clap::Args;
use lockscope_graph::client::{DEFAULT_GRAPH_URL, DEFAULT_LOGIN_URL};
use lockscope_graph::{Auth, Client, Config};

/// Where Graph is and how to sign in. The credentials come from the environment only:
/// `LOCKSCOPE_GRAPH_TOKEN` (a bearer token), or `--tenant` and `--client-id` with
/// `LOCKSCOPE_CLIENT_SECRET`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Microsoft Graph base URL (sovereign clouds: https://graph.microsoft.us,
    /// https://dod-graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn).
    #[arg(long, value_name = "URL", default_value = DEFAULT_GRAPH_URL)]
    pub graph_url: String,
    /// Entra ID sign-in base URL for client credentials (https://login.microsoftonline.us,
    /// https://login.chinacloudapi.cn).
    #[arg(long, value_name = "URL", default_value = DEFAULT_LOGIN_URL)]
    pub login_url: String,
    /// Tenant id or domain, for client credentials (with --client-id and LOCKSCOPE_CLIENT_SECRET).
    #[arg(long, value_name = "TENANT")]
    pub tenant: Option<String>,
    /// Application (client) id, for client credentials.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
}

impl GraphArgs {
    /// Credentials from the environment, if any.
    pub fn auth(&self) -> Result<Auth, lockscope_graph::GraphError> {
        Auth::from_env(self.tenant.as_deref(), self.client_id.as_deref())
    }

    /// A client with `auth`.
    pub fn client(&self, auth: Auth) -> anyhow::Result<Client> {
        let mut cfg = Config::new(auth);
        cfg.graph_url = self.graph_url.clone();
        cfg.login_url = self.login_url.clone();
        Ok(Client::new(cfg)?)
    }
}
