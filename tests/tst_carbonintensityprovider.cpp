#include "Error.h"
#include "carbon/CarbonIntensityProvider.h"
#include "energy/ReferenceTables.h"

#include <QElapsedTimer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QtTest>
#include <memory>

using namespace gw;

namespace {

/// A stand-in for api.electricitymap.org on 127.0.0.1 (any free port): answers every request with
/// one canned HTTP response, or never answers when that is empty.
class FakeElectricityMaps : public QObject {
public:
    explicit FakeElectricityMaps(QByteArray response) : response_(std::move(response))
    {
        QVERIFY(server_.listen(QHostAddress::LocalHost, 0));
        connect(&server_, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = server_.nextPendingConnection()) {
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
                    QByteArray request = socket->property("request").toByteArray() + socket->readAll();
                    socket->setProperty("request", request);
                    if (!request.contains("\r\n\r\n"))
                        return;
                    ++requests;
                    lastRequest = request;
                    if (!response_.isEmpty()) {
                        socket->write(response_);
                        socket->disconnectFromHost();
                    }
                });
            }
        });
    }

    static QByteArray http(int status, const QByteArray &reason, const QByteArray &body)
    {
        return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\nContent-Type: application/json\r\nContent-Length: " +
               QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }

    CarbonIntensityProvider::Settings settings(int timeoutMs = 2000) const
    {
        CarbonIntensityProvider::Settings s;
        s.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1/v3").arg(server_.serverPort()));
        s.token = QStringLiteral("test-token");
        s.timeoutMs = timeoutMs;
        return s;
    }

    int requests = 0;
    QByteArray lastRequest;

private:
    QTcpServer server_;
    QByteArray response_;
};

const QByteArray kFrance = R"({"zone":"FR","carbonIntensity":41,"datetime":"2026-11-26T10:00:00.000Z",)"
                           R"("updatedAt":"2026-11-26T09:52:01.000Z","isEstimated":true,"estimationMethod":"TIME_SLICER_AVERAGE"})";

double bundledFrance()
{
    return CarbonIntensityTable::bundled().resolve(QStringLiteral("FRA")).intensityGPerKwh;
}

} // namespace

class TestCarbonIntensityProvider : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        CarbonIntensityProvider::clearCache();
        // A token in the developer's environment must not leak into the tests that expect none.
        qunsetenv(CarbonIntensityProvider::kTokenVariable);
    }

    void readsTheLiveValue()
    {
        FakeElectricityMaps server(FakeElectricityMaps::http(200, "OK", kFrance));
        const CarbonIntensityReading r = CarbonIntensityProvider(server.settings()).current(QStringLiteral("FRA"));
        QVERIFY2(r.live, qPrintable(r.failureReason));
        QCOMPARE(r.intensityGPerKwh, 41.0);
        QCOMPARE(r.origin, QStringLiteral("Electricity Maps live FR 2026-11-26T10:00Z (estimated)"));
        QVERIFY(r.failureReason.isEmpty());
        QCOMPARE(r.zone, QStringLiteral("FR"));
        QCOMPARE(r.tokenSource, QStringLiteral("settings"));
        QVERIFY(r.estimated);
        QVERIFY(!r.fromCache);
        QCOMPARE(r.datetimeUtc, QDateTime::fromString(QStringLiteral("2026-11-26T10:00:00Z"), Qt::ISODate));
        QCOMPARE(server.requests, 1);
        QVERIFY2(server.lastRequest.startsWith("GET /v3/carbon-intensity/latest?zone=FR&shouldUseFallbackCallerLookup=false HTTP/1.1\r\n"),
                 server.lastRequest.constData());
        QVERIFY(server.lastRequest.toLower().contains("auth-token: test-token\r\n"));
    }

    void fallsBackOnFailures_data()
    {
        QTest::addColumn<QByteArray>("response");
        QTest::addColumn<QString>("reason");
        QTest::newRow("401") << FakeElectricityMaps::http(401, "Unauthorized", R"({"message":"Invalid auth-token"})")
                             << "HTTP 401 Unauthorized (token rejected, or not entitled to this zone or endpoint): Invalid auth-token";
        QTest::newRow("403") << FakeElectricityMaps::http(403, "Forbidden", "Access denied") << "HTTP 403 Forbidden (token rejected";
        QTest::newRow("500") << FakeElectricityMaps::http(500, "Internal Server Error", "") << "HTTP 500 Internal Server Error";
        QTest::newRow("malformed JSON") << FakeElectricityMaps::http(200, "OK", R"({"zone":"FR","carbonIntensity":)") << "malformed JSON from http://127.0.0.1:";
        QTest::newRow("not an object") << FakeElectricityMaps::http(200, "OK", "[41]") << "malformed JSON from";
        QTest::newRow("no intensity") << FakeElectricityMaps::http(200, "OK", R"({"zone":"FR","datetime":"2026-11-26T10:00:00Z"})")
                                      << "malformed answer from";
        QTest::newRow("null intensity") << FakeElectricityMaps::http(200, "OK", R"({"zone":"FR","carbonIntensity":null,"datetime":"2026-11-26T10:00:00Z"})")
                                        << "malformed answer from";
        QTest::newRow("no datetime") << FakeElectricityMaps::http(200, "OK", R"({"zone":"FR","carbonIntensity":41})") << "malformed answer from";
        QTest::newRow("another zone") << FakeElectricityMaps::http(200, "OK", R"({"zone":"DE","carbonIntensity":400,"datetime":"2026-11-26T10:00:00Z"})")
                                      << "asked for zone FR, answered for zone DE";
    }

    void fallsBackOnFailures()
    {
        QFETCH(QByteArray, response);
        QFETCH(QString, reason);
        FakeElectricityMaps server(response);
        const CarbonIntensityReading r = CarbonIntensityProvider(server.settings()).current(QStringLiteral("FRA"));
        QVERIFY(!r.live);
        QCOMPARE(server.requests, 1);
        QCOMPARE(r.intensityGPerKwh, bundledFrance());
        QVERIFY2(r.failureReason.startsWith(reason), qPrintable(r.failureReason));
        QVERIFY2(r.origin.startsWith(QStringLiteral("bundled table FRA (France, ")), qPrintable(r.origin));
        QVERIFY2(r.origin.endsWith(QStringLiteral(" — Electricity Maps failed: ") + r.failureReason), qPrintable(r.origin));
        // Failures are not cached: the next call asks again.
        CarbonIntensityProvider(server.settings()).current(QStringLiteral("FRA"));
        QCOMPARE(server.requests, 2);
    }

    void fallsBackOnTimeout()
    {
        FakeElectricityMaps server{QByteArray()};
        QElapsedTimer clock;
        clock.start();
        const CarbonIntensityReading r = CarbonIntensityProvider(server.settings(300)).current(QStringLiteral("FRA"));
        QVERIFY2(clock.elapsed() < 3000, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(clock.elapsed() >= 250);
        QVERIFY(!r.live);
        QCOMPARE(server.requests, 1);
        QCOMPARE(r.failureReason, QStringLiteral("no answer within 300 ms (timeout)"));
        QCOMPARE(r.intensityGPerKwh, bundledFrance());
    }

    void fallsBackWhenNothingListens()
    {
        quint16 port = 0;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            port = probe.serverPort();
        }
        CarbonIntensityProvider::Settings s;
        s.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1/v3/").arg(port));
        s.token = QStringLiteral("t");
        const CarbonIntensityReading r = CarbonIntensityProvider(s).current(QStringLiteral("FRA"));
        QVERIFY(!r.live);
        QVERIFY2(r.failureReason.startsWith(QStringLiteral("network error: ")), qPrintable(r.failureReason));
    }

    void cachesPerZone()
    {
        FakeElectricityMaps server(FakeElectricityMaps::http(200, "OK", kFrance));
        const CarbonIntensityReading first = CarbonIntensityProvider(server.settings()).current(QStringLiteral("FRA"));
        const CarbonIntensityReading second = CarbonIntensityProvider(server.settings()).current(QStringLiteral("FRA"));
        QCOMPARE(server.requests, 1);
        QVERIFY(second.live && second.fromCache);
        QCOMPARE(second.intensityGPerKwh, first.intensityGPerKwh);
        QCOMPARE(second.origin, first.origin);
        // Another zone is another entry (the fake answers FR, so that one falls back).
        CarbonIntensityProvider(server.settings()).current(QStringLiteral("DEU"));
        QCOMPARE(server.requests, 2);
    }

    void staleCacheAsksAgain()
    {
        FakeElectricityMaps server(FakeElectricityMaps::http(200, "OK", kFrance));
        CarbonIntensityProvider::Settings s = server.settings();
        s.cacheMaxAgeS = 0; // no cache
        CarbonIntensityProvider(s).current(QStringLiteral("FRA"));
        const CarbonIntensityReading second = CarbonIntensityProvider(s).current(QStringLiteral("FRA"));
        QCOMPARE(server.requests, 2);
        QVERIFY(second.live && !second.fromCache);
    }

    void withoutTokenAsksNothing()
    {
        FakeElectricityMaps server(FakeElectricityMaps::http(200, "OK", kFrance));
        CarbonIntensityProvider::Settings s = server.settings();
        s.token.clear();
        const CarbonIntensityReading r = CarbonIntensityProvider(s).current(QStringLiteral("FRA"));
        QCOMPARE(server.requests, 0);
        QVERIFY(!r.live);
        QCOMPARE(r.tokenSource, QStringLiteral("none"));
        QVERIFY2(r.failureReason.startsWith(QStringLiteral("no token (set one in the settings or the environment variable ELECTRICITYMAPS_TOKEN)")),
                 qPrintable(r.failureReason));
        QVERIFY2(r.origin.contains(QStringLiteral(" — Electricity Maps not asked: no token")), qPrintable(r.origin));
        QCOMPARE(r.intensityGPerKwh, bundledFrance());
    }

    void takesTheTokenFromTheEnvironment()
    {
        FakeElectricityMaps server(FakeElectricityMaps::http(200, "OK", kFrance));
        CarbonIntensityProvider::Settings s = server.settings();
        s.token.clear();
        qputenv(CarbonIntensityProvider::kTokenVariable, "from-env");
        const CarbonIntensityReading r = CarbonIntensityProvider(s).current(QStringLiteral("FRA"));
        qunsetenv(CarbonIntensityProvider::kTokenVariable);
        QVERIFY2(r.live, qPrintable(r.failureReason));
        QCOMPARE(r.tokenSource, QStringLiteral("environment ELECTRICITYMAPS_TOKEN"));
        QVERIFY(server.lastRequest.toLower().contains("auth-token: from-env\r\n"));
    }

    void worksOnAThreadWithoutEventLoop()
    {
        FakeElectricityMaps server(FakeElectricityMaps::http(200, "OK", kFrance));
        const CarbonIntensityProvider provider(server.settings());
        CarbonIntensityReading r;
        // QThread::create runs the function in run(): no event loop runs on that thread.
        std::unique_ptr<QThread> worker(QThread::create([&] { r = provider.current(QStringLiteral("FRA")); }));
        worker->start();
        // The fake server lives on this thread, so keep its events flowing while waiting.
        QTRY_VERIFY_WITH_TIMEOUT(worker->isFinished(), 5000);
        QVERIFY2(r.live, qPrintable(r.failureReason));
        QCOMPARE(r.intensityGPerKwh, 41.0);
    }

    void zones_data()
    {
        QTest::addColumn<QString>("iso3");
        QTest::addColumn<QString>("zoneSetting");
        QTest::addColumn<QString>("zone");
        QTest::newRow("France") << "FRA" << "" << "FR";
        QTest::newRow("lower case") << "gbr" << "" << "GB";
        QTest::newRow("Germany") << "DEU" << "" << "DE";
        QTest::newRow("unknown") << "XYZ" << "" << "";
        QTest::newRow("none") << "" << "" << "";
        QTest::newRow("setting wins") << "USA" << "US-CAL-CISO" << "US-CAL-CISO";
    }

    void zones()
    {
        QFETCH(QString, iso3);
        QFETCH(QString, zoneSetting);
        QFETCH(QString, zone);
        CarbonIntensityProvider::Settings s;
        s.zone = zoneSetting;
        QCOMPARE(CarbonIntensityProvider(s).zoneFor(iso3), zone);
    }

    void noZoneFallsBackWithoutAsking()
    {
        FakeElectricityMaps server(FakeElectricityMaps::http(200, "OK", kFrance));
        const CarbonIntensityReading world = CarbonIntensityProvider(server.settings()).current(QString());
        QCOMPARE(server.requests, 0);
        QCOMPARE(world.intensityGPerKwh, CarbonIntensityTable::kWorldAverageGPerKwh);
        QVERIFY2(world.origin.startsWith(QStringLiteral("world average")), qPrintable(world.origin));
        QCOMPARE(world.failureReason, QStringLiteral("no country or zone set"));
        // A country code that neither source knows is a configuration error, not a silent default.
        QVERIFY_THROWS_EXCEPTION(Error, CarbonIntensityProvider(server.settings()).current(QStringLiteral("XYZ")));
    }

    void fetchesTheForecast()
    {
        FakeElectricityMaps server(FakeElectricityMaps::http(
            200, "OK",
            R"({"zone":"FR","forecast":[{"carbonIntensity":50,"datetime":"2026-11-26T10:00:00.000Z"},)"
            R"({"carbonIntensity":30,"datetime":"2026-11-26T11:00:00.000Z"},{"carbonIntensity":60,"datetime":"2026-11-26T12:00:00.000Z"}],)"
            R"("updatedAt":"2026-11-26T09:00:00.000Z"})"));
        const CarbonForecast f = CarbonIntensityProvider(server.settings()).forecast(QStringLiteral("FRA"));
        QCOMPARE(f.points().size(), std::size_t(3));
        QCOMPARE(f.points()[1].intensityGPerKwh, 30.0);
        QCOMPARE(f.origin(), QStringLiteral("Electricity Maps forecast FR from 2026-11-26T10:00Z"));
        QVERIFY(server.lastRequest.startsWith("GET /v3/carbon-intensity/forecast?zone=FR&"));
    }

    void forecastFailuresThrow_data()
    {
        QTest::addColumn<QByteArray>("response");
        QTest::addColumn<QString>("expected");
        QTest::newRow("401") << FakeElectricityMaps::http(401, "Unauthorized", "") << "HTTP 401 Unauthorized";
        QTest::newRow("malformed") << FakeElectricityMaps::http(200, "OK", "{\"forecast\":") << "malformed JSON";
    }

    void forecastFailuresThrow()
    {
        QFETCH(QByteArray, response);
        QFETCH(QString, expected);
        FakeElectricityMaps server(response);
        try {
            CarbonIntensityProvider(server.settings()).forecast(QStringLiteral("FRA"));
            QFAIL("a failed forecast came back");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(expected), qPrintable(e.message()));
            QVERIFY2(e.message().contains(QStringLiteral("http://127.0.0.1:")), qPrintable(e.message()));
        }
        CarbonIntensityProvider::Settings noToken = server.settings();
        noToken.token.clear();
        QVERIFY_THROWS_EXCEPTION(Error, CarbonIntensityProvider(noToken).forecast(QStringLiteral("FRA")));
        QCOMPARE(server.requests, 1);
    }
};

QTEST_GUILESS_MAIN(TestCarbonIntensityProvider)
#include "tst_carbonintensityprovider.moc"
