#pragma once
#include "carbon/CarbonForecast.h"

#include <QDateTime>
#include <QString>
#include <QUrl>

namespace gw {

/// A grid carbon intensity and where it came from: live from Electricity Maps, or the bundled
/// table when the live source could not be used (and then why).
struct CarbonIntensityReading {
    double intensityGPerKwh = 0;
    /// For the store and every export, e.g. "Electricity Maps live FR 2026-11-26T10:00Z" or
    /// "bundled table FRA (France, 2023; OWID/Ember) — Electricity Maps failed: HTTP 401 Unauthorized".
    QString origin;
    bool live = false;
    QString failureReason;  ///< why the live value is not used; empty when live
    QString zone;           ///< the Electricity Maps zone asked for; empty when none applies
    QString tokenSource;    ///< "settings", "environment ELECTRICITYMAPS_TOKEN" or "none"
    QDateTime datetimeUtc;  ///< the time the live value is for; invalid for the fallback
    bool estimated = false; ///< Electricity Maps' isEstimated
    bool fromCache = false;
};

/// Live grid carbon intensity from the Electricity Maps API v3 (GET carbon-intensity/latest and
/// carbon-intensity/forecast, header auth-token), with a per-zone cache and the bundled
/// CarbonIntensityTable as the fallback for any failure.
///
/// Calls block (a local event loop with a timeout), so runs call this on their worker thread; it
/// works on a thread with no running event loop, but needs a QCoreApplication. On the GUI thread it
/// would re-enter the event loop: don't.
///
/// The cache is process-wide (runs construct providers freely) and keyed by base URL and zone; it
/// holds successes only, so a token fixed by the user takes effect on the next call.
class CarbonIntensityProvider {
public:
    struct Settings {
        QUrl baseUrl = QUrl(QStringLiteral("https://api.electricitymap.org/v3/"));
        QString token;     ///< empty: the environment variable ELECTRICITYMAPS_TOKEN
        QString zone;      ///< empty: derived from the country (ISO 3166 alpha-2, e.g. FRA -> FR)
        int timeoutMs = 5000;
        int cacheMaxAgeS = 15 * 60;
    };
    static constexpr const char *kTokenVariable = "ELECTRICITYMAPS_TOKEN";

    CarbonIntensityProvider();
    explicit CarbonIntensityProvider(Settings settings);

    /// The intensity now for @p iso3 (ISO 3166 alpha-3; empty: world average unless a zone is set).
    /// Network, HTTP and format trouble never throw: they give the bundled value with the reason.
    /// Throws gw::Error only when the live value failed and the bundled table has no @p iso3.
    CarbonIntensityReading current(const QString &iso3) const;

    /// The forecast for @p iso3 (or the zone setting). There is no offline forecast to fall back
    /// to, so this throws gw::Error naming the URL and the problem. Electricity Maps sells the
    /// forecast endpoint separately from the free tier: expect HTTP 401/403 with a free token.
    CarbonForecast forecast(const QString &iso3) const;

    /// The zone asked for @p iso3: the zone setting if any, else the country's ISO alpha-2 code.
    QString zoneFor(const QString &iso3) const;
    /// ISO 3166 alpha-3 -> alpha-2 (the Electricity Maps zone for most countries); empty if unknown.
    static QString zoneForCountry(const QString &iso3);

    /// The token to send and where it came from ("settings", "environment ELECTRICITYMAPS_TOKEN", "none").
    QString token(QString *source = nullptr) const;
    const Settings &settings() const { return settings_; }

    static void clearCache();

private:
    struct Fetched {
        QByteArray body;
        QString error; ///< empty on success
        QString url;
    };
    Fetched get(const QString &endpoint, const QString &zone) const;
    CarbonIntensityReading fallback(const QString &iso3, const QString &zone, const QString &tokenSource, const QString &reason,
                                    bool asked = true) const;

    Settings settings_;
};

} // namespace gw
