#include "TestData.h"
#include "config/RunConfig.h"
#include "report/RunComparison.h"
#include "store/Database.h"
#include "store/RunRepository.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QElapsedTimer>
#include <QThread>
#include <QtTest>

#include <csignal>
#include <sys/stat.h>

// The real binary, run as a user would run it.
class TestCommandLine : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

    struct Result {
        int exitCode = -1;
        QString out;
        QString err;
    };

    Result workbench(const QStringList &arguments, const QString &pluginPath = QString())
    {
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), dir_.path()); // never touch the real default store
        env.insert(QStringLiteral("XDG_DATA_HOME"), dir_.filePath(QStringLiteral("xdg")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir_.filePath(QStringLiteral("xdg-config"))); // nor the real settings
        if (!pluginPath.isEmpty())
            env.insert(QStringLiteral("GW_PLUGIN_PATH"), pluginPath);
        process.setProcessEnvironment(env);
        process.start(QStringLiteral(GW_WORKBENCH_BINARY), arguments);
        if (!process.waitForFinished(120000))
            return {};
        return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()), QString::fromUtf8(process.readAllStandardError())};
    }

    QString writeConfig(const QString &name, const QByteArray &json)
    {
        const QString path = dir_.filePath(name);
        gw::test::writeBytes(path, json);
        return path;
    }

private Q_SLOTS:
    void version()
    {
        const Result r = workbench({QStringLiteral("--version")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith(QStringLiteral("green-workbench ")));
        QVERIFY(r.out.contains(QStringLiteral("LibTorch")));
    }

    void runPrintsJsonSummaryAndRunsListsIt()
    {
        const QString data = dir_.filePath(QStringLiteral("data"));
        gw::test::writeBandDataset(data, 300, 60, 16, 16);
        const QString config = writeConfig(QStringLiteral("run.json"), QStringLiteral(
            R"({"name": "cli", "seed": 2, "dataset": {"path": "%1", "train_subset": 200},
                "training": {"epochs": 2, "batch_size": 32, "threads": 1}, "energy": {"sample_hz": 10, "country": "DEU"}})").arg(data).toUtf8());
        const QString db = dir_.filePath(QStringLiteral("cli.sqlite"));
        const Result r = workbench({QStringLiteral("run"), config, QStringLiteral("--db"), db, QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString last = r.out.trimmed().split(QLatin1Char('\n')).last();
        const QJsonObject summary = QJsonDocument::fromJson(last.toUtf8()).object();
        for (const char *key : {"run_id", "status", "accuracy", "labels_used", "duration_s", "energy_kwh", "emissions_g",
                                "energy_source", "intensity_g_per_kwh"})
            QVERIFY2(summary.contains(QLatin1String(key)), key);
        QCOMPARE(summary[QStringLiteral("status")].toString(), QStringLiteral("completed"));
        QCOMPARE(summary[QStringLiteral("labels_used")].toInt(), 200);
        // The small CNN is kept as the run's model, in both formats.
        QVERIFY2(QFileInfo(summary[QStringLiteral("model_torchscript")].toString()).size() > 0, qPrintable(last));
        QVERIFY(QFileInfo(summary[QStringLiteral("model_safetensors")].toString()).size() > 0);
        QCOMPARE(summary[QStringLiteral("energy_source")].toString(), QStringLiteral("estimated"));
        const double accuracy = summary[QStringLiteral("accuracy")].toDouble();
        QVERIFY(accuracy > 0.3 && accuracy <= 1.0);
        QVERIFY(summary[QStringLiteral("energy_kwh")].toDouble() > 0);

        const Result list = workbench({QStringLiteral("runs"), QStringLiteral("--db"), db, QStringLiteral("--json")});
        QCOMPARE(list.exitCode, 0);
        const QJsonArray runs = QJsonDocument::fromJson(list.out.toUtf8()).array();
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs[0].toObject()[QStringLiteral("run_id")].toInt(), summary[QStringLiteral("run_id")].toInt());
        const Result table = workbench({QStringLiteral("runs"), QStringLiteral("--db"), db});
        QVERIFY(table.out.contains(QStringLiteral("cli")));
        QVERIFY(table.out.contains(QStringLiteral("completed")));

        // Exports of the stored run.
        const QString id = QString::number(summary[QStringLiteral("run_id")].toInt());
        const QString csv = dir_.filePath(QStringLiteral("emissions.csv"));
        for (int i = 0; i < 2; ++i) {
            const Result e = workbench({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--run"), id,
                                        QStringLiteral("--format"), QStringLiteral("codecarbon"), QStringLiteral("--output"), csv});
            QVERIFY2(e.exitCode == 0, qPrintable(e.err));
            QVERIFY(e.err.contains(QStringLiteral("estimated")));
        }
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 3); // one header, one row per export
        QVERIFY(lines[0].startsWith("timestamp,project_name,run_id,experiment_id,duration,emissions,"));
        const Result card = workbench({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--run"), id,
                                       QStringLiteral("--format"), QStringLiteral("modelcard")});
        QVERIFY(card.out.startsWith(QStringLiteral("---\nco2_eq_emissions:\n")));
        QVERIFY(card.out.contains(QStringLiteral("geographical_location: Germany (DEU)")));
        const Result json = workbench({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--run"), id,
                                       QStringLiteral("--format"), QStringLiteral("json")});
        const QJsonObject exported = QJsonDocument::fromJson(json.out.toUtf8()).object();
        QVERIFY2(!exported.isEmpty(), qPrintable(json.out.left(200)));
        const Result missing = workbench({QStringLiteral("export"), QStringLiteral("--db"), db, QStringLiteral("--run"), QStringLiteral("999"),
                                          QStringLiteral("--format"), QStringLiteral("json")});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY(missing.err.contains(QStringLiteral("no run with id 999")));

        // Scheduling takes the duration of this run from the store; a deadline that leaves no
        // choice starts at once and the run is stored like any other.
        QByteArray rows("datetime,intensity_g_per_kwh\n");
        const QDateTime hour = QDateTime::currentDateTimeUtc().addSecs(-3600);
        const QDateTime start(hour.date(), QTime(hour.time().hour(), 0), Qt::UTC);
        for (int h = 0; h < 6; ++h) // the current hour is the cleanest, so the best start is now
            rows += start.addSecs(3600 * h).toString(Qt::ISODate).toUtf8() + (h == 1 ? ",50\n" : ",400\n");
        const QString forecast = writeConfig(QStringLiteral("forecast.csv"), rows);
        const Result scheduled = workbench({QStringLiteral("schedule"), config, QStringLiteral("--forecast"), forecast,
                                            QStringLiteral("--deadline"), QStringLiteral("+2h"), QStringLiteral("--db"), db,
                                            QStringLiteral("--run"), QStringLiteral("--json")});
        QVERIFY2(scheduled.exitCode == 0, qPrintable(scheduled.err));
        QVERIFY2(scheduled.out.contains(QStringLiteral("from the last completed run of this config")), qPrintable(scheduled.out));
        const QJsonObject second = QJsonDocument::fromJson(scheduled.out.trimmed().split(QLatin1Char('\n')).last().toUtf8()).object();
        QCOMPARE(second[QStringLiteral("status")].toString(), QStringLiteral("completed"));
        QVERIFY(second[QStringLiteral("run_id")].toInt() > summary[QStringLiteral("run_id")].toInt());
    }

    void badInputIsAClearErrorWithExitCode2_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown key") << QByteArray(R"({"training": {"epochz": 1}})") << "unknown key 'training.epochz'";
        QTest::newRow("wrong type") << QByteArray(R"({"seed": "one"})") << "'seed' must be an integer";
        QTest::newRow("malformed") << QByteArray("{not json") << "malformed JSON";
        QTest::newRow("number overflowing a double") << QByteArray(R"({"training": {"lr": 1e309}})") << "unreadable JSON";
    }

    void badInputIsAClearErrorWithExitCode2()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        const QString config = writeConfig(QStringLiteral("bad.json"), json);
        const Result r = workbench({QStringLiteral("run"), config, QStringLiteral("--db"), dir_.filePath(QStringLiteral("bad.sqlite"))});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(config) && r.err.contains(expected), qPrintable(r.err));
    }

    void parametersOnTheCommandLineOverrideTheConfig()
    {
        // The embedded default with two parameters changed, printed and saved instead of run.
        const QString saved = dir_.filePath(QStringLiteral("saved.json"));
        const Result r = workbench({QStringLiteral("run"), QStringLiteral("--dataset.train_subset=3000"), QStringLiteral("--set"), QStringLiteral("energy.country=swe"),
                                    QStringLiteral("--active_learning.strategy"), QStringLiteral("bald"), QStringLiteral("--print-config"),
                                    QStringLiteral("--save-config"), saved});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const gw::RunConfig printed = gw::RunConfig::fromJsonText(r.out.toStdString(), QStringLiteral("stdout"));
        QCOMPARE(printed.name, QStringLiteral("fashion-green"));
        QCOMPARE(printed.dataset.trainSubset, std::int64_t(3000));
        QCOMPARE(printed.energy.country, QStringLiteral("SWE"));
        QVERIFY(printed.activeLearning.enabled); // a key of its section makes the run an active-learning one
        QCOMPARE(printed.kind, QStringLiteral("active-learning"));
        QCOMPARE(printed.activeLearning.strategy, QStringLiteral("bald"));
        QCOMPARE(gw::RunConfig::fromFile(saved).toJsonText(), printed.toJsonText());
        // The saved config runs the same config headless: read back, it prints the same.
        const Result again = workbench({QStringLiteral("run"), saved, QStringLiteral("--print-config")});
        QCOMPARE(again.out, r.out);

        const Result bad = workbench({QStringLiteral("run"), QStringLiteral("--training.epochs=lots"), QStringLiteral("--print-config")});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains(QStringLiteral("--training.epochs: 'training.epochs' takes an integer 1…1000 (got 'lots')")), qPrintable(bad.err));
        const Result listed = workbench({QStringLiteral("run"), QStringLiteral("--parameters")});
        QCOMPARE(listed.exitCode, 0);
        QVERIFY(listed.out.contains(QStringLiteral("--active_learning.strategy  one of random, least-confidence")));
    }

    void failedRunExitsNonZeroAndIsStored()
    {
        const QString config = writeConfig(QStringLiteral("missing.json"), QByteArray(R"({"dataset": {"path": "/nonexistent/fm"}})"));
        const QString db = dir_.filePath(QStringLiteral("failed.sqlite"));
        const Result r = workbench({QStringLiteral("run"), config, QStringLiteral("--db"), db, QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 1);
        const QJsonObject summary = QJsonDocument::fromJson(r.out.trimmed().split(QLatin1Char('\n')).last().toUtf8()).object();
        QCOMPARE(summary[QStringLiteral("status")].toString(), QStringLiteral("failed"));
        QVERIFY(summary[QStringLiteral("error")].toString().contains(QStringLiteral("/nonexistent/fm")));
        QVERIFY2(summary[QStringLiteral("accuracy")].isNull(), "a run that never evaluated has no accuracy, not 0");
        const Result list = workbench({QStringLiteral("runs"), QStringLiteral("--db"), db});
        QVERIFY(list.out.contains(QStringLiteral("failed")));
    }

    /// A store holding one failed run as run 1 (quick to make), made once.
    QString storeWithARun()
    {
        const QString db = dir_.filePath(QStringLiteral("one-run.sqlite"));
        if (!QFileInfo::exists(db)) {
            const QString config = writeConfig(QStringLiteral("one-run.json"), QByteArray(R"({"dataset": {"path": "/nonexistent/fm"}})"));
            workbench({QStringLiteral("run"), config, QStringLiteral("--db"), db});
        }
        return db;
    }

    // Outputs are replaced whole, and only when they are files: a device or a FIFO is refused
    // before anything is written (as root, --output /dev/null must not replace the system's).
    void outputsThatAreNotFilesAreRefused_data()
    {
        QTest::addColumn<QStringList>("command");
        QTest::newRow("export json") << QStringList{QStringLiteral("export"), QStringLiteral("--run"), QStringLiteral("1"),
                                                    QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--output")};
        QTest::newRow("export modelcard") << QStringList{QStringLiteral("export"), QStringLiteral("--run"), QStringLiteral("1"),
                                                         QStringLiteral("--format"), QStringLiteral("modelcard"), QStringLiteral("--output")};
        QTest::newRow("export codecarbon") << QStringList{QStringLiteral("export"), QStringLiteral("--run"), QStringLiteral("1"),
                                                          QStringLiteral("--format"), QStringLiteral("codecarbon"), QStringLiteral("--output")};
        QTest::newRow("labels export") << QStringList{QStringLiteral("labels"), QStringLiteral("export"), QStringLiteral("--run"),
                                                      QStringLiteral("1"), QStringLiteral("--output")};
        QTest::newRow("save config") << QStringList{QStringLiteral("run"), QStringLiteral("--save-config")};
    }

    void outputsThatAreNotFilesAreRefused()
    {
        QFETCH(QStringList, command);
        const QString db = storeWithARun();
        const QString fifo = dir_.filePath(QStringLiteral("out.fifo"));
        QFile::remove(fifo);
        QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
        for (const QString &target : {fifo, QStringLiteral("/dev/null")}) {
            const Result r = workbench(command + QStringList{target, QStringLiteral("--db"), db});
            QVERIFY2(r.exitCode == 2, qPrintable(QStringLiteral("%1: %2").arg(r.exitCode).arg(r.err)));
            QVERIFY2(r.err.contains(target) && r.err.contains(QStringLiteral("not a regular file")), qPrintable(r.err));
            struct stat st {};
            QVERIFY(::stat(QFile::encodeName(target).constData(), &st) == 0);
            QVERIFY(!S_ISREG(st.st_mode));
        }
    }

    void dashWritesToStandardOutput()
    {
        const QString db = storeWithARun();
        const Result r = workbench({QStringLiteral("export"), QStringLiteral("--run"), QStringLiteral("1"), QStringLiteral("--format"),
                                    QStringLiteral("codecarbon"), QStringLiteral("--output"), QStringLiteral("-"), QStringLiteral("--db"), db});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.startsWith(QStringLiteral("timestamp,project_name,run_id,")));
        QCOMPARE(r.out.trimmed().split(QLatin1Char('\n')).size(), 2);
        QVERIFY(!QFileInfo::exists(QStringLiteral("-")));
    }

    // A store that cannot be opened is a bad command line (exit 2) naming it, never "run 0 failed".
    void aStoreThatCannotBeOpenedIsNamed()
    {
        const QString folder = dir_.filePath(QStringLiteral("a-folder.sqlite"));
        QDir().mkpath(folder);
        const QString garbage = writeConfig(QStringLiteral("garbage.sqlite"), QByteArray(4096, 'g'));
        for (const QString &db : {folder, garbage}) {
            const Result r = workbench({QStringLiteral("run"), QStringLiteral("--training.epochs=1"), QStringLiteral("--db"), db});
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains(db) && !r.err.contains(QStringLiteral("run 0")), qPrintable(r.err));
        }
    }

    // A run killed outright (SIGKILL, a crash) is not left "running": the next command that opens
    // the store marks it interrupted, with the energy its samples hold and its duration to the last.
    // SIGHUP (a closed terminal) stops a run cleanly like Ctrl+C.
    void killedRunsAreMarkedAndHangupsCancel_data()
    {
        QTest::addColumn<int>("signal");
        QTest::addColumn<QString>("status");
        QTest::newRow("SIGKILL") << int(SIGKILL) << QStringLiteral("interrupted");
        QTest::newRow("SIGHUP") << int(SIGHUP) << QStringLiteral("cancelled");
    }

    void killedRunsAreMarkedAndHangupsCancel()
    {
        QFETCH(int, signal);
        QFETCH(QString, status);
        const QString data = dir_.filePath(QStringLiteral("killdata"));
        if (!QFileInfo::exists(data))
            gw::test::writeBandDataset(data, 1000, 100, 16, 16);
        const QString config = writeConfig(QStringLiteral("long.json"), QStringLiteral(
            R"({"name": "long", "dataset": {"path": "%1"}, "training": {"epochs": 200, "batch_size": 16, "threads": 1},
                "energy": {"sample_hz": 10}})").arg(data).toUtf8());
        const QString db = dir_.filePath(QStringLiteral("killed-%1.sqlite").arg(signal));
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), dir_.path());
        process.setProcessEnvironment(env);
        process.start(QStringLiteral(GW_WORKBENCH_BINARY), {QStringLiteral("run"), config, QStringLiteral("--db"), db});
        QVERIFY(process.waitForStarted());
        QString err;
        QElapsedTimer clock;
        clock.start();
        // Past the first epoch, so the run is well under way.
        while (!err.contains(QStringLiteral("epoch 1 of ")) && clock.elapsed() < 60000) {
            process.waitForReadyRead(200);
            err += QString::fromUtf8(process.readAllStandardError());
        }
        QVERIFY2(err.contains(QStringLiteral("epoch 1 of ")), qPrintable(err));
        // Power samples are flushed to the store every second: on a fast machine epoch 1 ends before the first flush.
        QThread::msleep(1500);
        ::kill(pid_t(process.processId()), signal);
        QVERIFY(process.waitForFinished(30000));
        if (signal == SIGHUP)
            QCOMPARE(process.exitCode(), 130);

        const Result list = workbench({QStringLiteral("runs"), QStringLiteral("--db"), db, QStringLiteral("--json")});
        const QJsonObject run = QJsonDocument::fromJson(list.out.toUtf8()).array().at(0).toObject();
        QCOMPARE(run[QStringLiteral("status")].toString(), status);
        QVERIFY2(run[QStringLiteral("energy_kwh")].toDouble() > 0, qPrintable(list.out));
        QVERIFY2(run[QStringLiteral("duration_s")].toDouble() > 0.5, qPrintable(list.out));
        if (signal == SIGKILL)
            QVERIFY2(run[QStringLiteral("error")].toString().contains(QStringLiteral("pid")), qPrintable(list.out));
        const Result json = workbench({QStringLiteral("export"), QStringLiteral("--run"), QString::number(run[QStringLiteral("run_id")].toInt()),
                                       QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--db"), db});
        QVERIFY2(json.exitCode == 0, qPrintable(json.err));
    }

    void aPluginsKindRunsIsStoredComparedAndExported()
    {
        const QString plugins = QStringLiteral(GW_FIXTURE_PLUGIN_DIR); // the working fixture and the broken ones
        const Result listed = workbench({QStringLiteral("plugins"), QStringLiteral("--json")}, plugins);
        QVERIFY2(listed.exitCode == 0, qPrintable(listed.err));
        QMap<QString, QJsonObject> byFile;
        for (const QJsonValue &v : QJsonDocument::fromJson(listed.out.toUtf8()).array())
            byFile.insert(QFileInfo(v[QStringLiteral("file")].toString()).completeBaseName(), v.toObject());
        QCOMPARE(byFile[QStringLiteral("libgw_fixture_counting")][QStringLiteral("state")].toString(), QStringLiteral("loaded"));
        QCOMPARE(byFile[QStringLiteral("libgw_fixture_counting")][QStringLiteral("kinds")].toArray().first().toString(), QStringLiteral("fixture-count"));
        for (const char *broken : {"libgw_fixture_missing_symbol", "libgw_fixture_wrong_api", "libgw_fixture_throws", "libgw_fixture_not_a_library",
                                   "libgw_fixture_duplicate", "libgw_fixture_needs_absent"}) {
            const QJsonObject o = byFile.value(QLatin1String(broken));
            QVERIFY2(o[QStringLiteral("state")].toString() == QStringLiteral("failed"), broken);
            QVERIFY2(!o[QStringLiteral("reason")].toString().isEmpty(), broken);
        }
        const Result text = workbench({QStringLiteral("plugins")}, plugins);
        QVERIFY(text.out.contains(QStringLiteral("fixture-counting 1.0.0  loaded  kinds: fixture-count")));
        QVERIFY(text.out.contains(QStringLiteral("built against plugin API version 99")));

        const Result parameters = workbench({QStringLiteral("run"), QStringLiteral("--parameters")}, plugins);
        QVERIFY(parameters.out.contains(QStringLiteral("  fixture-count  Count (test fixture)")));
        QVERIFY(parameters.out.contains(QStringLiteral("--count.steps  an integer 1…1000; default: 5")));
        QVERIFY(parameters.out.contains(QStringLiteral("--count.scale  a number 0…100; default: 1.5")));

        // Without the plugin, the kind is unknown, and the message says where kinds come from.
        const QString db = dir_.filePath(QStringLiteral("plugin-kind.sqlite"));
        const Result without = workbench({QStringLiteral("run"), QStringLiteral("--kind=fixture-count"), QStringLiteral("--db"), db});
        QCOMPARE(without.exitCode, 2);
        QVERIFY2(without.err.contains(QStringLiteral("unknown run kind 'fixture-count'")) && without.err.contains(QStringLiteral("plugins")), qPrintable(without.err));

        const Result r = workbench({QStringLiteral("run"), QStringLiteral("--kind=fixture-count"), QStringLiteral("--count.steps=4"), QStringLiteral("--count.scale=2.5"),
                                    QStringLiteral("--energy.sample_hz=20"), QStringLiteral("--name=counted"), QStringLiteral("--db"), db, QStringLiteral("--json")},
                                   plugins);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject summary = QJsonDocument::fromJson(r.out.trimmed().split(QLatin1Char('\n')).last().toUtf8()).object();
        QCOMPARE(summary[QStringLiteral("status")].toString(), QStringLiteral("completed"));
        QCOMPARE(summary[QStringLiteral("count_total")].toDouble(), 10.0);
        const qint64 id = summary[QStringLiteral("run_id")].toInteger();
        // Its steps are shown as they finish, and its parts are measured and stored by scope.
        QVERIFY2(r.err.contains(QStringLiteral("step 4 of 4: count total 10")), qPrintable(r.err));
        {
            const gw::Database store(db);
            const gw::RunRepository repository(store);
            int counted = 0;
            for (const gw::EnergyWindow &w : repository.energyWindows(id))
                if (w.phase == QStringLiteral("count")) {
                    ++counted;
                    QVERIFY2(w.scope == QStringLiteral("part 1") || w.scope == QStringLiteral("part 2"), qPrintable(w.scope));
                }
            QCOMPARE(counted, 4);
            QCOMPARE(repository.metricScopes(id), (QStringList{QStringLiteral("part 1"), QStringLiteral("part 2")}));
            QCOMPARE(repository.metrics(id, QStringLiteral("part 2")).size(), std::size_t(2));
            QVERIFY(repository.metrics(id, QStringLiteral("part 2")).front().value > 0.015); // 20 ms slept inside each window
        }

        const Result runs = workbench({QStringLiteral("runs"), QStringLiteral("--db"), db, QStringLiteral("--json")}, plugins);
        const QJsonArray stored = QJsonDocument::fromJson(runs.out.toUtf8()).array();
        QCOMPARE(stored.size(), 1);
        QCOMPARE(stored.first()[QStringLiteral("status")].toString(), QStringLiteral("completed"));

        const Result exported = workbench({QStringLiteral("export"), QStringLiteral("--run"), QString::number(id), QStringLiteral("--format"), QStringLiteral("json"),
                                           QStringLiteral("--db"), db}, plugins);
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        const QJsonObject report = QJsonDocument::fromJson(exported.out.toUtf8()).object();
        QVERIFY2(exported.out.contains(QStringLiteral("\"fixture-count\"")) && exported.out.contains(QStringLiteral("count_total")), qPrintable(exported.out.left(2000)));
        QVERIFY(!report.isEmpty());
        for (const QString &format : {QStringLiteral("modelcard"), QStringLiteral("codecarbon")}) {
            const Result e = workbench({QStringLiteral("export"), QStringLiteral("--run"), QString::number(id), QStringLiteral("--format"), format,
                                        QStringLiteral("--db"), db, QStringLiteral("--output"), dir_.filePath(QStringLiteral("plugin-kind.") + format)},
                                       plugins);
            QVERIFY2(e.exitCode == 0, qPrintable(format + e.err));
        }
        // Compared like any run: its parameters are flattened beside another run's.
        const gw::Database store(db);
        const QList<gw::RunRecord> both{*gw::RunRepository(store).run(id), *gw::RunRepository(store).run(id)};
        const gw::RunComparison comparison(both);
        QCOMPARE(comparison.parameter(0, QStringLiteral("count.steps")), QStringLiteral("4"));
        QCOMPARE(comparison.parameter(0, QStringLiteral("kind")), QStringLiteral("\"fixture-count\""));
    }

    // The federated plugin's examples, shrunk to the band dataset: a JSON summary with rounds,
    // accuracy, modelled CO2e, machine energy and per-client totals; the same seed twice gives the
    // same numbers; the final model is exported like any kept model.
    void theFederatedExamplesRunAndRepeat()
    {
        const QString data = dir_.filePath(QStringLiteral("federated-data"));
        gw::test::writeBandDataset(data, 300, 60);
        for (const char *name : {"federated-iid.json", "federated-dirichlet.json", "federated-bundled.json"}) {
            const QString example = QStringLiteral(GW_SOURCE_DIR "/resources/examples/") + QLatin1String(name);
            QJsonObject twice[2];
            for (int i = 0; i < 2; ++i) {
                const QString db = dir_.filePath(QStringLiteral("fl-%1-%2.sqlite").arg(QLatin1String(name)).arg(i));
                const Result r = workbench({QStringLiteral("run"), example, QStringLiteral("--db"), db, QStringLiteral("--dataset.path=") + data,
                                            QStringLiteral("--federated.clients=20"), QStringLiteral("--federated.per_round=4"),
                                            QStringLiteral("--federated.rounds=3"), QStringLiteral("--federated.min_size=5"),
                                            QStringLiteral("--training.threads=1"), QStringLiteral("--energy.sample_hz=20"), QStringLiteral("--json")});
                QVERIFY2(r.exitCode == 0, qPrintable(r.err));
                twice[i] = QJsonDocument::fromJson(r.out.trimmed().split(QLatin1Char('\n')).last().toUtf8()).object();
                if (i == 1) {
                    const QString exported = dir_.filePath(QStringLiteral("federated.pt"));
                    const Result out = workbench({QStringLiteral("export"), QStringLiteral("--run"), QStringLiteral("1"), QStringLiteral("--format"),
                                                  QStringLiteral("model"), QStringLiteral("--output"), exported, QStringLiteral("--db"), db});
                    QVERIFY2(out.exitCode == 0, qPrintable(out.err));
                    QVERIFY(QFileInfo(exported).size() > 0);
                }
            }
            const QJsonObject f = twice[0].value(QStringLiteral("federated")).toObject(), g = twice[1].value(QStringLiteral("federated")).toObject();
            QCOMPARE(f.value(QStringLiteral("rounds")).toInt(), 3);
            QVERIFY(f.value(QStringLiteral("accuracy")).toDouble() > 0);
            QVERIFY(f.value(QStringLiteral("modelled_co2e_g")).toDouble() > 0);
            QVERIFY(f.value(QStringLiteral("machine_energy_j")).toDouble() > 0);
            QCOMPARE(f.value(QStringLiteral("per_client")).toArray().size(), 20);
            for (const char *key : {"accuracy", "modelled_co2e_g", "modelled_energy_j", "uplink_bytes"})
                QCOMPARE(f.value(QLatin1String(key)).toDouble(), g.value(QLatin1String(key)).toDouble());
            const QJsonArray a = f.value(QStringLiteral("per_client")).toArray(), b = g.value(QStringLiteral("per_client")).toArray();
            for (int c = 0; c < a.size(); ++c) // this machine's measured energy differs between runs; the rest does not
                for (const char *key : {"selected", "kept", "dropped", "modelled_co2e_g", "accuracy", "device_class", "region"})
                    QCOMPARE(a[c].toObject().value(QLatin1String(key)), b[c].toObject().value(QLatin1String(key)));
        }
    }

    // The compression plugin's example on the store's latest kept model: a JSON summary with every
    // variant's figures; the variants' TorchScript files run in Python (where python3-torch is).
    void theCompressExampleCompressesTheLatestModel()
    {
        const QString data = dir_.filePath(QStringLiteral("compress-data"));
        gw::test::writeBandDataset(data, 300, 60);
        const QString db = dir_.filePath(QStringLiteral("compress.sqlite"));
        const QString trainConfig = writeConfig(QStringLiteral("cnn.json"), QStringLiteral(
            R"({"name": "cnn", "dataset": {"path": "%1"}, "training": {"epochs": 1, "threads": 1}, "energy": {"sample_hz": 10}})").arg(data).toUtf8());
        const Result trained = workbench({QStringLiteral("run"), trainConfig, QStringLiteral("--db"), db});
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        const QString example = QStringLiteral(GW_SOURCE_DIR "/resources/examples/compress-pipeline.json");
        const Result r = workbench({QStringLiteral("run"), example, QStringLiteral("--db"), db, QStringLiteral("--dataset.path=") + data,
                                    QStringLiteral("--dataset.train_subset=300"), QStringLiteral("--training.threads=1"),
                                    QStringLiteral("--compress.prune.recovery_epochs=1"), QStringLiteral("--compress.measure.energy_samples=2"),
                                    QStringLiteral("--energy.sample_hz=20"), QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject summary = QJsonDocument::fromJson(r.out.trimmed().split(QLatin1Char('\n')).last().toUtf8()).object();
        QVERIFY2(summary.value(QStringLiteral("model_origin")).toString().startsWith(QStringLiteral("run 1 ")), qPrintable(r.out));
        const QJsonArray variants = summary.value(QStringLiteral("variants")).toArray();
        QCOMPARE(variants.size(), 3); // the input, pruned, then int8
        QStringList files, engines;
        for (const QJsonValue &v : variants) {
            QVERIFY(v[QStringLiteral("accuracy")].toDouble() > 0);
            QVERIFY(v[QStringLiteral("energy_per_1k_inferences_j")].toDouble() > 0);
            files << v[QStringLiteral("torchscript")].toString();
            engines << v[QStringLiteral("quantized_engine")].toString(QStringLiteral("onednn"));
        }
        QCOMPARE(variants[2][QStringLiteral("precision")].toString(), QStringLiteral("int8 static"));
        // Variants export like any kept model, by their role.
        const QString exported = dir_.filePath(QStringLiteral("int8.pt"));
        const Result out = workbench({QStringLiteral("export"), QStringLiteral("--run"), QString::number(summary.value(QStringLiteral("run_id")).toInt()),
                                      QStringLiteral("--format"), QStringLiteral("model"), QStringLiteral("--role"), QStringLiteral("variant 2-quantize"),
                                      QStringLiteral("--output"), exported, QStringLiteral("--db"), db});
        QVERIFY2(out.exitCode == 0, qPrintable(out.err));
        QCOMPARE(QFileInfo(exported).size(), QFileInfo(files[2]).size());
        // A run that kept no model is named.
        const Result missing = workbench({QStringLiteral("run"), example, QStringLiteral("--db"), db, QStringLiteral("--model.run_id=42"),
                                          QStringLiteral("--dataset.path=") + data, QStringLiteral("--json")});
        QVERIFY(missing.exitCode != 0);
        QVERIFY2(missing.err.contains(QStringLiteral("run 42")), qPrintable(missing.err));

        QProcess probe;
        probe.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), QStringLiteral("import torch")});
        if (!probe.waitForFinished(60000) || probe.exitCode() != 0)
            QSKIP("python3-torch is not installed: the variants' TorchScript files were not run in Python (installer/install-deps.sh --bench installs it)");
        QString snippet = QStringLiteral("import torch\n");
        for (int i = 0; i < files.size(); ++i)
            snippet += QStringLiteral("torch.backends.quantized.engine = '%1'\nm = torch.jit.load('%2')\nassert m(torch.rand(2, 1, 28, 28)).shape == (2, 10)\n")
                           .arg(engines[i], files[i]);
        snippet += QStringLiteral("print('ran', %1)\n").arg(files.size());
        QProcess python;
        python.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), snippet});
        QVERIFY(python.waitForFinished(120000));
        QVERIFY2(python.exitCode() == 0, qPrintable(QString::fromUtf8(python.readAllStandardError())));
        QCOMPARE(QString::fromUtf8(python.readAllStandardOutput()).trimmed(), QStringLiteral("ran 3"));
    }

    void aStoredPretrainingRunResumesWithEveryParameter()
    {
        // A pretraining run stopped by Ctrl+C, as an early store kept it (training.mode "pretrain").
        const QString data = dir_.filePath(QStringLiteral("pretrain-data"));
        gw::test::writeBandDataset(data, 64, 16, 28, 28);
        const QString db = dir_.filePath(QStringLiteral("pretrain.sqlite"));
        const auto stoppedRun = [&db, &data](const QString &output) {
            const gw::Database store(db);
            gw::RunRepository repo(store);
            const QString pretrain = output.isEmpty() ? QString() : QStringLiteral(R"("pretrain": {"output": "%1"},)").arg(output);
            const qint64 id = repo.createRun(repo.ensureProject(QStringLiteral("default")), QStringLiteral("pretrain-gw-mobilenet"),
                                             QStringLiteral(R"({"name": "pretrain-gw-mobilenet", "seed": 5, "dataset": {"path": "%1", "train_subset": 32}, %2
                                    "model": {"source": "scratch"}, "training": {"mode": "pretrain", "epochs": 1, "batch_size": 16, "lr": 0.002, "threads": 1},
                                    "active_learning": null, "energy": {"sample_hz": 10}})").arg(data, pretrain),
                                             QStringLiteral("{}"));
            gw::EnergyTotals totals;
            totals.energySource = QStringLiteral("estimated");
            totals.intensityOrigin = QStringLiteral("world");
            totals.powerModel = QStringLiteral("CPU time x TDP");
            repo.finishRun(id, QStringLiteral("cancelled"), std::nullopt, 0, 1.0, QString(), totals);
            return id;
        };
        const qint64 id = stoppedRun(QString());
        const Result printed = workbench({QStringLiteral("run"), QStringLiteral("--resume"), QString::number(id), QStringLiteral("--db"), db, QStringLiteral("--print-config")});
        QVERIFY2(printed.exitCode == 0, qPrintable(printed.err));
        const gw::RunConfig config = gw::RunConfig::fromJsonText(printed.out.toStdString(), QStringLiteral("stdout"));
        QCOMPARE(config.kind, QStringLiteral("pretrain"));
        QCOMPARE(config.training.batchSize, 16);
        QCOMPARE(config.dataset.trainSubset, std::int64_t(32));

        const Result resumed = workbench({QStringLiteral("run"), QStringLiteral("--resume"), QString::number(id), QStringLiteral("--db"), db, QStringLiteral("--json")});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        const QJsonObject summary = QJsonDocument::fromJson(resumed.out.trimmed().split(QLatin1Char('\n')).last().toUtf8()).object();
        QCOMPARE(summary[QStringLiteral("status")].toString(), QStringLiteral("completed"));
        QVERIFY(QFileInfo(summary[QStringLiteral("weights")].toString()).size() > 0); // into the store's cache: the early run named no file
        // The resumed run is stored with every parameter of its kind, the temperature included.
        const gw::Database store(db);
        const std::optional<gw::RunRecord> second = gw::RunRepository(store).run(summary[QStringLiteral("run_id")].toInteger());
        QVERIFY(second);
        const QJsonObject params = QJsonDocument::fromJson(second->paramsJson.toUtf8()).object();
        QCOMPARE(params[QStringLiteral("kind")].toString(), QStringLiteral("pretrain"));
        QVERIFY2(params[QStringLiteral("pretrain")].toObject().contains(QStringLiteral("temperature")), qPrintable(second->paramsJson));
        // The pretrained backbone is kept as the run's model, a feature extractor in both formats.
        const Result artifacts = workbench({QStringLiteral("artifacts"), QStringLiteral("--run"), QString::number(second->id), QStringLiteral("--db"), db});
        QVERIFY2(artifacts.out.contains(QStringLiteral("safetensors")) && artifacts.out.contains(QStringLiteral("torchscript")), qPrintable(artifacts.out));

        // `pretrain --resume` goes on with the stopped run's recipe (this one stopped before its first
        // epoch ended: it starts over, and says so) and writes the weights and their model card.
        const QString weights = dir_.filePath(QStringLiteral("resumed-backbone.safetensors"));
        const qint64 stopped = stoppedRun(weights);
        const Result refused = workbench({QStringLiteral("pretrain"), QStringLiteral("--resume"), QString::number(stopped), QStringLiteral("--epochs"),
                                          QStringLiteral("3"), QStringLiteral("--db"), db});
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains(QStringLiteral("takes no --epochs")), qPrintable(refused.err));
        const Result pretrained = workbench({QStringLiteral("pretrain"), QStringLiteral("--resume"), QString::number(stopped), QStringLiteral("--db"), db,
                                             QStringLiteral("--json")});
        QVERIFY2(pretrained.exitCode == 0, qPrintable(pretrained.err));
        QVERIFY2(pretrained.err.contains(QStringLiteral("no checkpoint")), qPrintable(pretrained.err));
        QVERIFY(QFileInfo(weights).size() > 0);
        QVERIFY(QFileInfo::exists(dir_.filePath(QStringLiteral("resumed-backbone.md"))));
        const Result again = workbench({QStringLiteral("pretrain"), QStringLiteral("--resume"), QString::number(stopped), QStringLiteral("--db"), db});
        QCOMPARE(again.exitCode, 2); // nothing left to do
    }

    void aFinishedRunIsNotResumed()
    {
        const QString data = dir_.filePath(QStringLiteral("data"));
        if (!QFileInfo::exists(data))
            gw::test::writeBandDataset(data, 300, 60, 16, 16);
        const QString config = writeConfig(QStringLiteral("short.json"), QStringLiteral(
            R"({"dataset": {"path": "%1", "train_subset": 100}, "training": {"epochs": 1, "threads": 1}})").arg(data).toUtf8());
        const QString db = dir_.filePath(QStringLiteral("finished.sqlite"));
        QCOMPARE(workbench({QStringLiteral("run"), config, QStringLiteral("--db"), db}).exitCode, 0);
        const Result again = workbench({QStringLiteral("run"), QStringLiteral("--resume"), QStringLiteral("1"), QStringLiteral("--db"), db});
        QCOMPARE(again.exitCode, 2);
        QVERIFY2(again.err.contains(QStringLiteral("nothing to resume")), qPrintable(again.err));
        QCOMPARE(QJsonDocument::fromJson(workbench({QStringLiteral("runs"), QStringLiteral("--db"), db, QStringLiteral("--json")}).out.toUtf8()).array().size(), 1);
    }

    void overflowingScheduleTimesAreRefused()
    {
        const QString config = writeConfig(QStringLiteral("sched.json"), QByteArray("{}"));
        for (const QString &deadline : {QStringLiteral("+99999999999999999999d"), QStringLiteral("+400d"), QStringLiteral("9999-01-01T00:00Z")}) {
            const Result r = workbench({QStringLiteral("schedule"), config, QStringLiteral("--deadline"), deadline, QStringLiteral("--duration-s"),
                                        QStringLiteral("60")});
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains(QStringLiteral("more than a year ahead")), qPrintable(r.err));
        }
        const Result r = workbench({QStringLiteral("schedule"), config, QStringLiteral("--deadline"), QStringLiteral("+2h"), QStringLiteral("--duration-s"),
                                    QStringLiteral("1e300")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--duration-s")), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
