//! The OpenID Connect client for ID-porten, on the `openidconnect` crate.
//!
//! The crate does discovery, the key set, PKCE and the ID token's signature and standard
//! claims (issuer, audience, expiry, nonce, an allowed algorithm: RS256 only, so never
//! `none` and never an HMAC keyed with a public key). This module adds what ID-porten's
//! rules ask on top: the key set refetched once when a token names an unknown key id, a
//! small clock skew on expiry and issue time, `iss` of the authorization response,
//! `acr` at least the form's level, and a valid `pid`. The token request is sent here
//! with `client_secret_basic` or `private_key_jwt`, over an HTTP client that follows no
//! redirects and gives up after a timeout.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use openidconnect::core::{
    CoreGenderClaim, CoreIdTokenVerifier, CoreJsonWebKey, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AdditionalClaims, ClaimsVerificationError, ClientId, IdToken, IssuerUrl, JsonWebKeySet, Nonce,
    PkceCodeChallenge, ProviderMetadataWithLogout, SignatureVerificationError,
};
use rsa::RsaPrivateKey;
use serde::{Deserialize, Serialize};

use super::{random_token, url_encode};
use crate::clock::{Clock, Timestamp};
use crate::schema::Auth;

/// Tolerated difference between our clock and ID-porten's.
const SKEW_SECONDS: i64 = 60;
/// An ID token issued longer ago than this is refused.
const MAX_TOKEN_AGE_SECONDS: i64 = 600;

/// ID-porten's levels of assurance, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Substantial,
    High,
}

impl Level {
    /// The level a form needs, if it needs one.
    pub fn for_form(auth: Auth) -> Option<Level> {
        match auth {
            Auth::Substantial => Some(Level::Substantial),
            Auth::High => Some(Level::High),
            Auth::None | Auth::Optional => None,
        }
    }

    pub fn acr(self) -> &'static str {
        match self {
            Level::Substantial => "idporten-loa-substantial",
            Level::High => "idporten-loa-high",
        }
    }

    /// The level an `acr` claim states (the legacy `Level3`/`Level4` too).
    pub fn from_acr(acr: &str) -> Option<Level> {
        match acr {
            "idporten-loa-substantial" | "Level3" => Some(Level::Substantial),
            "idporten-loa-high" | "Level4" => Some(Level::High),
            _ => None,
        }
    }
}

/// How the client proves who it is at the token endpoint.
pub enum ClientAuth {
    /// `client_secret_basic`.
    Secret(zeroize::Zeroizing<String>),
    /// `private_key_jwt`: an RS256 assertion with this key and key id.
    PrivateKey {
        key: Box<RsaPrivateKey>,
        kid: String,
    },
}

/// What the client is registered with at ID-porten.
pub struct ClientSettings {
    pub issuer: String,
    pub client_id: String,
    pub auth: ClientAuth,
    pub redirect_uri: String,
    pub post_logout_redirect_uri: String,
    /// KRR's person endpoint.
    pub krr_url: String,
    /// Extra trusted root (the simulator's certificate in development and tests).
    pub extra_root_pem: Option<Vec<u8>>,
    pub krr_timeout: Duration,
}

/// Claims ID-porten adds to the standard ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdPortenClaims {
    pub pid: Option<String>,
    pub sid: Option<String>,
    pub locale: Option<String>,
}

impl AdditionalClaims for IdPortenClaims {}

type IdPortenIdToken = IdToken<
    IdPortenClaims,
    CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// One login under way: kept (encrypted) in the citizen's session until they return.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub level: Level,
}

/// A citizen as ID-porten vouched for them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoggedIn {
    pub pid: String,
    pub level: Level,
    pub acr: String,
    pub amr: Vec<String>,
    pub sid: Option<String>,
    /// For RP-initiated logout's `id_token_hint`.
    pub id_token: String,
    #[serde(skip)]
    pub access_token: Option<zeroize::Zeroizing<String>>,
}

/// Why a login failed. Shown to the citizen as one clear page; logged by its kind only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// The provider's discovery document or keys could not be fetched.
    Provider(String),
    /// The citizen cancelled, or ID-porten answered with an error.
    Denied(String),
    StateMismatch,
    IssuerMismatch,
    TokenRequest(String),
    IdToken(String),
    LevelTooLow,
    PidMissing,
    PidInvalid,
}

impl LoginError {
    /// A short name for logs, never a value from the token.
    pub fn kind(&self) -> &'static str {
        match self {
            LoginError::Provider(_) => "provider_unreachable",
            LoginError::Denied(_) => "denied",
            LoginError::StateMismatch => "state_mismatch",
            LoginError::IssuerMismatch => "issuer_mismatch",
            LoginError::TokenRequest(_) => "token_request_failed",
            LoginError::IdToken(_) => "id_token_invalid",
            LoginError::LevelTooLow => "level_too_low",
            LoginError::PidMissing => "pid_missing",
            LoginError::PidInvalid => "pid_invalid",
        }
    }
}

struct Discovered {
    metadata: ProviderMetadataWithLogout,
    jwks: JsonWebKeySet<CoreJsonWebKey>,
    fetched: Timestamp,
}

/// The client: settings, an HTTP client, and the cached discovery document and keys.
pub struct IdPorten {
    settings: ClientSettings,
    http: reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
    clock: Arc<dyn Clock>,
    allow_synthetic_ids: bool,
}

/// How long a discovery document is trusted before it is fetched again.
const DISCOVERY_TTL_MS: i64 = 24 * 3600 * 1000;

impl IdPorten {
    pub fn new(
        settings: ClientSettings,
        clock: Arc<dyn Clock>,
        allow_synthetic_ids: bool,
    ) -> Result<IdPorten, String> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .use_rustls_tls();
        if let Some(pem) = &settings.extra_root_pem {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| format!("the ID-porten CA certificate: {e}"))?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder.build().map_err(|e| e.to_string())?;
        Ok(IdPorten {
            settings,
            http,
            discovered: RwLock::new(None),
            clock,
            allow_synthetic_ids,
        })
    }

    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    async fn discovered(&self) -> Result<Arc<Discovered>, LoginError> {
        let now = self.clock.now();
        if let Ok(guard) = self.discovered.read()
            && let Some(d) = guard.as_ref()
            && now.millis() - d.fetched.millis() < DISCOVERY_TTL_MS
        {
            return Ok(d.clone());
        }
        self.refresh(None).await
    }

    /// Fetches the discovery document (unless `keep` is given) and the key set again.
    async fn refresh(&self, keep: Option<&Discovered>) -> Result<Arc<Discovered>, LoginError> {
        let metadata = match keep {
            Some(d) => d.metadata.clone(),
            None => {
                let issuer = IssuerUrl::new(self.settings.issuer.clone())
                    .map_err(|e| LoginError::Provider(format!("issuer: {e}")))?;
                ProviderMetadataWithLogout::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| LoginError::Provider(format!("discovery: {e}")))?
            }
        };
        let jwks = JsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| LoginError::Provider(format!("jwks: {e}")))?;
        let d = Arc::new(Discovered {
            metadata,
            jwks,
            fetched: keep.map(|d| d.fetched).unwrap_or_else(|| self.clock.now()),
        });
        if let Ok(mut guard) = self.discovered.write() {
            *guard = Some(d.clone());
        }
        Ok(d)
    }

    /// Where to send the citizen to log in at `level`, and what to keep until they
    /// come back.
    pub async fn begin(
        &self,
        level: Level,
        ui_locale: &str,
    ) -> Result<(String, PendingLogin), LoginError> {
        let d = self.discovered().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = random_token();
        let nonce = random_token();
        let mut url = d.metadata.authorization_endpoint().url().clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", &self.settings.redirect_uri)
            .append_pair("scope", "openid profile krr:user/kontaktinformasjon.read")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", challenge.as_str())
            .append_pair("code_challenge_method", "S256")
            .append_pair("acr_values", level.acr())
            .append_pair("ui_locales", ui_locale);
        Ok((
            url.to_string(),
            PendingLogin {
                state,
                nonce,
                pkce_verifier: verifier.secret().clone(),
                level,
            },
        ))
    }

    /// Completes a login from the authorization response's parameters.
    pub async fn finish(
        &self,
        pending: &PendingLogin,
        code: Option<&str>,
        state: Option<&str>,
        iss: Option<&str>,
        error: Option<&str>,
    ) -> Result<LoggedIn, LoginError> {
        let d = self.discovered().await?;
        let state_ok = state
            .is_some_and(|s| crate::web::constant_time_eq(s.as_bytes(), pending.state.as_bytes()));
        if !state_ok {
            return Err(LoginError::StateMismatch);
        }
        if iss != Some(d.metadata.issuer().as_str()) {
            return Err(LoginError::IssuerMismatch);
        }
        if let Some(error) = error {
            return Err(LoginError::Denied(error.chars().take(64).collect()));
        }
        let code = code.ok_or_else(|| LoginError::TokenRequest("no code".into()))?;
        let token_url = d
            .metadata
            .token_endpoint()
            .ok_or_else(|| LoginError::Provider("no token endpoint".into()))?
            .url()
            .clone();
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", self.settings.redirect_uri.clone()),
            ("code_verifier", pending.pkce_verifier.clone()),
        ];
        let mut request = self.http.post(token_url.clone());
        match &self.settings.auth {
            ClientAuth::Secret(secret) => {
                request = request.basic_auth(
                    url_encode(&self.settings.client_id),
                    Some(url_encode(secret)),
                );
            }
            ClientAuth::PrivateKey { key, kid } => {
                let assertion = self.client_assertion(key, kid, d.metadata.issuer().as_str())?;
                form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                ));
                form.push(("client_assertion", assertion));
                form.push(("client_id", self.settings.client_id.clone()));
            }
        }
        let response = request
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| LoginError::TokenRequest(e.without_url().to_string()))?;
        let status = response.status();
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|_| LoginError::TokenRequest(format!("{status}: not JSON")))?;
        if !status.is_success() {
            let error = body["error"]
                .as_str()
                .unwrap_or("unknown")
                .chars()
                .take(64)
                .collect::<String>();
            return Err(LoginError::TokenRequest(format!("{status}: {error}")));
        }
        let id_token_text = body["id_token"]
            .as_str()
            .ok_or_else(|| LoginError::TokenRequest("no id_token".into()))?
            .to_string();
        let access_token = body["access_token"]
            .as_str()
            .map(|s| zeroize::Zeroizing::new(s.to_string()));
        let claims = match self.verify(&d, &id_token_text, &pending.nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // The provider may have rotated its keys: fetch them once more.
                let fresh = self.refresh(Some(&d)).await?;
                self.verify(&fresh, &id_token_text, &pending.nonce)
            }
            other => other,
        }
        .map_err(|e| LoginError::IdToken(e.to_string()))?;
        let acr = claims
            .auth_context_ref()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let level = Level::from_acr(&acr).ok_or(LoginError::LevelTooLow)?;
        if level < pending.level {
            return Err(LoginError::LevelTooLow);
        }
        let pid = claims
            .additional_claims()
            .pid
            .clone()
            .ok_or(LoginError::PidMissing)?;
        if crate::schema::values::national_id(&pid, self.allow_synthetic_ids).is_err() {
            return Err(LoginError::PidInvalid);
        }
        let amr = claims
            .auth_method_refs()
            .map(|a| a.iter().map(|m| m.to_string()).collect())
            .unwrap_or_default();
        Ok(LoggedIn {
            pid,
            level,
            acr,
            amr,
            sid: claims.additional_claims().sid.clone(),
            id_token: id_token_text,
            access_token,
        })
    }

    fn verify(
        &self,
        d: &Discovered,
        id_token: &str,
        nonce: &str,
    ) -> Result<
        openidconnect::IdTokenClaims<IdPortenClaims, CoreGenderClaim>,
        ClaimsVerificationError,
    > {
        let token: IdPortenIdToken = id_token
            .parse()
            .map_err(|e| ClaimsVerificationError::Unsupported(format!("not an ID token: {e}")))?;
        let now = self.clock.now().millis() / 1000;
        let verifier = CoreIdTokenVerifier::new_public_client(
            ClientId::new(self.settings.client_id.clone()),
            d.metadata.issuer().clone(),
            d.jwks.clone(),
        )
        .set_allowed_algs([CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256])
        // Expiry with a little skew: "now" is taken a minute early.
        .set_time_fn(move || {
            chrono::DateTime::from_timestamp(now - SKEW_SECONDS, 0).unwrap_or_default()
        })
        .set_issue_time_verifier_fn(move |iat| {
            let iat = iat.timestamp();
            if iat > now + SKEW_SECONDS {
                Err("issued in the future".into())
            } else if iat < now - MAX_TOKEN_AGE_SECONDS {
                Err("issued too long ago".into())
            } else {
                Ok(())
            }
        });
        token.into_claims(&verifier, &Nonce::new(nonce.to_string()))
    }

    fn client_assertion(
        &self,
        key: &RsaPrivateKey,
        kid: &str,
        audience: &str,
    ) -> Result<String, LoginError> {
        let now = self.clock.now().millis() / 1000;
        let header = serde_json::json!({ "alg": "RS256", "kid": kid, "typ": "JWT" });
        let claims = serde_json::json!({
            "iss": self.settings.client_id, "sub": self.settings.client_id, "aud": audience,
            "iat": now, "exp": now + 60, "jti": random_token(),
        });
        Ok(super::rs256_jws(&header, &claims, key))
    }

    /// The citizen's e-mail and mobile from KRR, best effort: `None` on any problem or
    /// after the timeout, and for a person who has reserved or is not registered. Each
    /// look-up's outcome is counted in the metrics.
    pub async fn krr_contact(&self, access_token: &str) -> Option<KrrContact> {
        let (contact, outcome) = self.look_up_contact(access_token).await;
        crate::metrics::count(crate::metrics::KRR_LOOKUPS, &[("outcome", outcome)]);
        contact
    }

    async fn look_up_contact(&self, access_token: &str) -> (Option<KrrContact>, &'static str) {
        let response = self
            .http
            .get(&self.settings.krr_url)
            .bearer_auth(access_token)
            .header("accept", "application/json")
            .timeout(self.settings.krr_timeout)
            .send()
            .await;
        let response = match response {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => {
                tracing::warn!(
                    status = r.status().as_u16(),
                    "KRR refused the look-up; no prefill"
                );
                return (None, "refused");
            }
            Err(e) => {
                tracing::warn!(timeout = e.is_timeout(), "KRR did not answer; no prefill");
                return (None, "unreachable");
            }
        };
        let Ok(body) = response.json::<serde_json::Value>().await else {
            tracing::warn!("KRR's answer is not JSON; no prefill");
            return (None, "refused");
        };
        if body["reservasjon"].as_str() == Some("JA") || body["status"].as_str() != Some("AKTIV") {
            return (None, "none");
        }
        let info = &body["kontaktinformasjon"];
        let contact = KrrContact {
            email: info["epostadresse"].as_str().map(str::to_string),
            mobile: info["mobiltelefonnummer"].as_str().map(str::to_string),
        };
        (Some(contact), "found")
    }

    /// RP-initiated logout: the end-session address for this citizen's login.
    pub async fn end_session_url(&self, id_token: &str, state: &str) -> Option<String> {
        let d = self.discovered().await.ok()?;
        let mut url = d
            .metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()?
            .url()
            .clone();
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair(
                "post_logout_redirect_uri",
                &self.settings.post_logout_redirect_uri,
            )
            .append_pair("state", state);
        Some(url.to_string())
    }

    /// The issuer as discovered, for front-channel logout's `iss`.
    pub async fn issuer(&self) -> Option<String> {
        Some(self.discovered().await.ok()?.metadata.issuer().to_string())
    }
}

/// Contact details from KRR.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct KrrContact {
    pub email: Option<String>,
    pub mobile: Option<String>,
}
