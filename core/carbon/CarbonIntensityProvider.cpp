#include "carbon/CarbonIntensityProvider.h"

#include "Error.h"
#include "energy/ReferenceTables.h"

#include <QEventLoop>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>
#include <QUrlQuery>
#include <chrono>
#include <cmath>

namespace gw {

namespace {

// ISO 3166-1 alpha-3 then alpha-2, from Debian's iso-codes 4.15 (iso_3166-1.json). Electricity Maps
// names most zones by the alpha-2 code; countries split into several grids (US, AU, ...) need the
// zone setting for a sub-national zone.
const char kIsoCodes[] =
    "ABWAW AFGAF AGOAO AIAAI ALAAX ALBAL ANDAD AREAE ARGAR ARMAM ASMAS ATAAQ ATFTF ATGAG "
    "AUSAU AUTAT AZEAZ BDIBI BELBE BENBJ BESBQ BFABF BGDBD BGRBG BHRBH BHSBS BIHBA BLMBL "
    "BLRBY BLZBZ BMUBM BOLBO BRABR BRBBB BRNBN BTNBT BVTBV BWABW CAFCF CANCA CCKCC CHECH "
    "CHLCL CHNCN CIVCI CMRCM CODCD COGCG COKCK COLCO COMKM CPVCV CRICR CUBCU CUWCW CXRCX "
    "CYMKY CYPCY CZECZ DEUDE DJIDJ DMADM DNKDK DOMDO DZADZ ECUEC EGYEG ERIER ESHEH ESPES "
    "ESTEE ETHET FINFI FJIFJ FLKFK FRAFR FROFO FSMFM GABGA GBRGB GEOGE GGYGG GHAGH GIBGI "
    "GINGN GLPGP GMBGM GNBGW GNQGQ GRCGR GRDGD GRLGL GTMGT GUFGF GUMGU GUYGY HKGHK HMDHM "
    "HNDHN HRVHR HTIHT HUNHU IDNID IMNIM INDIN IOTIO IRLIE IRNIR IRQIQ ISLIS ISRIL ITAIT "
    "JAMJM JEYJE JORJO JPNJP KAZKZ KENKE KGZKG KHMKH KIRKI KNAKN KORKR KWTKW LAOLA LBNLB "
    "LBRLR LBYLY LCALC LIELI LKALK LSOLS LTULT LUXLU LVALV MACMO MAFMF MARMA MCOMC MDAMD "
    "MDGMG MDVMV MEXMX MHLMH MKDMK MLIML MLTMT MMRMM MNEME MNGMN MNPMP MOZMZ MRTMR MSRMS "
    "MTQMQ MUSMU MWIMW MYSMY MYTYT NAMNA NCLNC NERNE NFKNF NGANG NICNI NIUNU NLDNL NORNO "
    "NPLNP NRUNR NZLNZ OMNOM PAKPK PANPA PCNPN PERPE PHLPH PLWPW PNGPG POLPL PRIPR PRKKP "
    "PRTPT PRYPY PSEPS PYFPF QATQA REURE ROURO RUSRU RWARW SAUSA SDNSD SENSN SGPSG SGSGS "
    "SHNSH SJMSJ SLBSB SLESL SLVSV SMRSM SOMSO SPMPM SRBRS SSDSS STPST SURSR SVKSK SVNSI "
    "SWESE SWZSZ SXMSX SYCSC SYRSY TCATC TCDTD TGOTG THATH TJKTJ TKLTK TKMTM TLSTL TONTO "
    "TTOTT TUNTN TURTR TUVTV TWNTW TZATZ UGAUG UKRUA UMIUM URYUY USAUS UZBUZ VATVA VCTVC "
    "VENVE VGBVG VIRVI VNMVN VUTVU WLFWF WSMWS YEMYE ZAFZA ZMBZM ZWEZW";

const QHash<QString, QString> &alpha3ToAlpha2()
{
    static const QHash<QString, QString> table = [] {
        QHash<QString, QString> out;
        const QStringList entries = QString::fromLatin1(kIsoCodes).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        for (const QString &entry : entries)
            out.insert(entry.left(3), entry.mid(3));
        return out;
    }();
    return table;
}

struct CacheEntry {
    CarbonIntensityReading reading;
    std::chrono::steady_clock::time_point fetched;
};

// Process-wide, so that every run's provider shares what the previous one fetched.
QMutex cacheMutex;
QHash<QString, CacheEntry> &cache()
{
    static QHash<QString, CacheEntry> entries;
    return entries;
}

QString cacheKey(const QUrl &baseUrl, const QString &zone)
{
    return baseUrl.toString() + QLatin1Char('|') + zone;
}

// What the server said, short and on one line, so a reason stays readable in a table cell.
QString serverMessage(const QByteArray &body)
{
    const QJsonDocument document = QJsonDocument::fromJson(body);
    QString text;
    if (document.isObject()) {
        const QJsonObject object = document.object();
        for (const char *key : {"message", "error", "detail"}) {
            if (object.value(QLatin1String(key)).isString()) {
                text = object.value(QLatin1String(key)).toString();
                break;
            }
        }
    } else {
        text = QString::fromUtf8(body);
    }
    text = text.simplified();
    if (text.size() > 160)
        text = text.left(157) + QStringLiteral("...");
    return text;
}

QString shortTime(const QDateTime &time)
{
    return time.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm")) + QLatin1Char('Z');
}

} // namespace

CarbonIntensityProvider::CarbonIntensityProvider() = default;

CarbonIntensityProvider::CarbonIntensityProvider(Settings settings) : settings_(std::move(settings)) {}

QString CarbonIntensityProvider::zoneForCountry(const QString &iso3)
{
    return alpha3ToAlpha2().value(iso3.trimmed().toUpper());
}

QString CarbonIntensityProvider::zoneFor(const QString &iso3) const
{
    if (!settings_.zone.trimmed().isEmpty())
        return settings_.zone.trimmed();
    return zoneForCountry(iso3);
}

QString CarbonIntensityProvider::token(QString *source) const
{
    if (!settings_.token.trimmed().isEmpty()) {
        if (source)
            *source = QStringLiteral("settings");
        return settings_.token.trimmed();
    }
    const QString fromEnvironment = qEnvironmentVariable(kTokenVariable).trimmed();
    if (source)
        *source = fromEnvironment.isEmpty() ? QStringLiteral("none") : QStringLiteral("environment %1").arg(QLatin1String(kTokenVariable));
    return fromEnvironment;
}

void CarbonIntensityProvider::clearCache()
{
    QMutexLocker lock(&cacheMutex);
    cache().clear();
}

CarbonIntensityProvider::Fetched CarbonIntensityProvider::get(const QString &endpoint, const QString &zone) const
{
    QUrl base = settings_.baseUrl;
    if (!base.path().endsWith(QLatin1Char('/')))
        base.setPath(base.path() + QLatin1Char('/'));
    QUrl url = base.resolved(QUrl(endpoint));
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("zone"), zone);
    // Else, for a zone it has no data for, the API answers for wherever the caller's IP is.
    query.addQueryItem(QStringLiteral("shouldUseFallbackCallerLookup"), QStringLiteral("false"));
    url.setQuery(query);

    Fetched fetched;
    fetched.url = url.toString();
    // A manager per call: a QNetworkAccessManager belongs to the thread that made it, and runs
    // fetch from whichever worker thread they are on.
    QNetworkAccessManager manager;
    QNetworkRequest request(url);
    request.setRawHeader("auth-token", token().toUtf8());
    request.setRawHeader("Accept", "application/json");
    request.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("green-workbench/%1").arg(QStringLiteral(GW_VERSION)));
    QNetworkReply *reply = manager.get(request);

    QEventLoop loop;
    QTimer timer;
    timer.setSingleShot(true);
    bool timedOut = false;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QObject::connect(&timer, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        loop.quit();
    });
    timer.start(settings_.timeoutMs);
    if (!reply->isFinished())
        loop.exec();
    timer.stop();

    if (timedOut && !reply->isFinished()) {
        reply->abort();
        fetched.error = QStringLiteral("no answer within %1 ms (timeout)").arg(settings_.timeoutMs);
        return fetched;
    }
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->readAll();
    if (status != 0 && (status < 200 || status >= 300)) {
        QString phrase = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString().trimmed();
        fetched.error = QStringLiteral("HTTP %1").arg(status);
        if (!phrase.isEmpty())
            fetched.error += QLatin1Char(' ') + phrase;
        if (status == 401 || status == 403)
            fetched.error += QStringLiteral(" (token rejected, or not entitled to this zone or endpoint)");
        else if (status == 429)
            fetched.error += QStringLiteral(" (rate limit of this token reached)");
        const QString message = serverMessage(body);
        if (!message.isEmpty())
            fetched.error += QStringLiteral(": ") + message;
        return fetched;
    }
    if (reply->error() != QNetworkReply::NoError) {
        fetched.error = QStringLiteral("network error: %1").arg(reply->errorString());
        return fetched;
    }
    fetched.body = body;
    return fetched;
}

CarbonIntensityReading CarbonIntensityProvider::fallback(const QString &iso3, const QString &zone, const QString &tokenSource,
                                                         const QString &reason, bool asked) const
{
    CarbonIntensityReading reading;
    reading.live = false;
    reading.failureReason = reason;
    reading.zone = zone;
    reading.tokenSource = tokenSource;
    CarbonIntensityTable::Resolved resolved;
    try {
        resolved = CarbonIntensityTable::bundled().resolve(iso3);
    } catch (const Error &e) {
        throw Error(QStringLiteral("%1; Electricity Maps could not stand in for it: %2").arg(e.message(), reason));
    }
    reading.intensityGPerKwh = resolved.intensityGPerKwh;
    reading.origin = (iso3.trimmed().isEmpty() ? resolved.origin : QStringLiteral("bundled table ") + resolved.origin) +
                     (asked ? QStringLiteral(" — Electricity Maps failed: ") : QStringLiteral(" — Electricity Maps not asked: ")) + reason;
    return reading;
}

CarbonIntensityReading CarbonIntensityProvider::current(const QString &iso3) const
{
    QString tokenSource;
    const QString tokenValue = token(&tokenSource);
    const QString zone = zoneFor(iso3);
    if (zone.isEmpty()) {
        return fallback(iso3, zone, tokenSource,
                        iso3.trimmed().isEmpty() ? QStringLiteral("no country or zone set")
                                                 : QStringLiteral("no zone known for country code '%1'; set the zone").arg(iso3),
                        false);
    }

    const QString key = cacheKey(settings_.baseUrl, zone);
    if (settings_.cacheMaxAgeS > 0) {
        QMutexLocker lock(&cacheMutex);
        const auto it = cache().constFind(key);
        if (it != cache().constEnd() &&
            std::chrono::steady_clock::now() - it->fetched <= std::chrono::seconds(settings_.cacheMaxAgeS)) {
            CarbonIntensityReading reading = it->reading;
            reading.fromCache = true;
            reading.tokenSource = tokenSource;
            return reading;
        }
    }

    if (tokenValue.isEmpty())
        return fallback(iso3, zone, tokenSource,
                        QStringLiteral("no token (set one in the settings or the environment variable %1)").arg(QLatin1String(kTokenVariable)), false);

    const Fetched fetched = get(QStringLiteral("carbon-intensity/latest"), zone);
    if (!fetched.error.isEmpty())
        return fallback(iso3, zone, tokenSource, fetched.error);

    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(fetched.body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        return fallback(iso3, zone, tokenSource,
                        QStringLiteral("malformed JSON from %1: %2").arg(fetched.url, parseError.error != QJsonParseError::NoError ? parseError.errorString() : QStringLiteral("not an object")));
    const QJsonObject object = document.object();
    const QJsonValue intensity = object.value(QStringLiteral("carbonIntensity"));
    if (!intensity.isDouble() || !std::isfinite(intensity.toDouble()) || intensity.toDouble() < 0)
        return fallback(iso3, zone, tokenSource, QStringLiteral("malformed answer from %1: no non-negative number 'carbonIntensity'").arg(fetched.url));
    QString problem;
    const QDateTime datetime = CarbonForecast::parseTime(object.value(QStringLiteral("datetime")).toString(), &problem);
    if (!datetime.isValid())
        return fallback(iso3, zone, tokenSource, QStringLiteral("malformed answer from %1: field 'datetime': %2").arg(fetched.url, problem));
    const QString answeredZone = object.value(QStringLiteral("zone")).toString();
    if (!answeredZone.isEmpty() && answeredZone.compare(zone, Qt::CaseInsensitive) != 0)
        return fallback(iso3, zone, tokenSource, QStringLiteral("asked for zone %1, answered for zone %2").arg(zone, answeredZone));

    CarbonIntensityReading reading;
    reading.intensityGPerKwh = intensity.toDouble();
    reading.live = true;
    reading.zone = zone;
    reading.tokenSource = tokenSource;
    reading.datetimeUtc = datetime;
    reading.estimated = object.value(QStringLiteral("isEstimated")).toBool(false);
    reading.origin = QStringLiteral("Electricity Maps live %1 %2").arg(zone, shortTime(datetime));
    if (reading.estimated)
        reading.origin += QStringLiteral(" (estimated)");
    if (settings_.cacheMaxAgeS > 0) {
        QMutexLocker lock(&cacheMutex);
        cache().insert(key, {reading, std::chrono::steady_clock::now()});
    }
    return reading;
}

CarbonForecast CarbonIntensityProvider::forecast(const QString &iso3) const
{
    const QString zone = zoneFor(iso3);
    if (zone.isEmpty())
        throw Error(iso3.trimmed().isEmpty() ? QStringLiteral("Electricity Maps forecast: no country or zone set")
                                             : QStringLiteral("Electricity Maps forecast: no zone known for country code '%1'; set the zone").arg(iso3));
    if (token().isEmpty())
        throw Error(QStringLiteral("Electricity Maps forecast for %1: no token (set one in the settings or the environment variable %2)")
                        .arg(zone, QLatin1String(kTokenVariable)));
    const Fetched fetched = get(QStringLiteral("carbon-intensity/forecast"), zone);
    if (!fetched.error.isEmpty())
        throw Error(QStringLiteral("Electricity Maps forecast for %1 (%2): %3").arg(zone, fetched.url, fetched.error));
    // Parse under the URL so a format error says where the bad answer came from; keep the short
    // origin for display.
    const CarbonForecast parsed = CarbonForecast::fromElectricityMapsJson(fetched.body, fetched.url);
    std::vector<CarbonForecast::Point> points = parsed.points();
    return CarbonForecast(std::move(points),
                          QStringLiteral("Electricity Maps forecast %1 from %2").arg(zone, shortTime(parsed.startUtc())));
}

} // namespace gw
