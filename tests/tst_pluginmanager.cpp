#include "Error.h"
#include "config/RunConfig.h"
#include "config/RunParameters.h"
#include "extension/PluginManager.h"
#include "extension/RunKind.h"
#include "extension/RunKindRegistry.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

namespace {

const PluginSpec *specOf(const PluginManager &manager, const QString &fileStem)
{
    for (const PluginSpec &spec : manager.plugins())
        if (QFileInfo(spec.file).completeBaseName() == fileStem)
            return &spec;
    return nullptr;
}

} // namespace

class TestPluginManager : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        // Loaded once for the suite: a plugin's kinds stay registered for the process.
        manager_ = std::make_unique<PluginManager>(RunKindRegistry::instance());
        manager_->load({QStringLiteral(GW_FIXTURE_PLUGIN_DIR), QStringLiteral("/nonexistent/plugins")});
    }

    void theWorkingPluginAddsItsKind()
    {
        const PluginSpec *spec = specOf(*manager_, QStringLiteral("libgw_fixture_counting"));
        QVERIFY(spec);
        QCOMPARE(spec->state, PluginSpec::State::Loaded);
        QCOMPARE(spec->id, QStringLiteral("fixture-counting"));
        QCOMPARE(spec->version, QStringLiteral("1.0.0"));
        QCOMPARE(spec->kinds, QStringList{QStringLiteral("fixture-count")});
        QVERIFY(spec->reason.isEmpty());
        const RunKind *kind = RunKindRegistry::instance().find(QStringLiteral("fixture-count"));
        QVERIFY(kind);
        // Its parameters are run parameters like any: read from JSON, checked, written back.
        QVERIFY(RunParameters::find(QStringLiteral("count.steps")));
        const RunConfig config = RunConfig::fromJsonText(R"({"kind": "fixture-count", "count": {"steps": 7}})", QStringLiteral("c.json"));
        QCOMPARE(RunParameters::find(QStringLiteral("count.steps"))->get(config).get<int>(), 7);
        QCOMPARE(RunParameters::find(QStringLiteral("count.scale"))->get(config).get<double>(), 1.5);
        const RunConfig back = RunConfig::fromJsonText(config.toJsonText(), QStringLiteral("back"));
        QCOMPARE(back.toJsonText(), config.toJsonText());
        QVERIFY_THROWS_EXCEPTION(Error, RunConfig::fromJsonText(R"({"kind": "fixture-count", "count": {"steps": 0}})", QStringLiteral("c.json")));
        try {
            RunConfig::fromJsonText(R"({"kind": "fixture-count", "count": {"scale": 13}})", QStringLiteral("c.json"));
            QFAIL("the kind's own check did not run");
        } catch (const Error &e) {
            QVERIFY2(e.message().startsWith(QStringLiteral("c.json: ")) && e.message().contains(QStringLiteral("unlucky")), qPrintable(e.message()));
        }
    }

    void everyBrokenPluginIsListedWithItsReason_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("state");
        QTest::addColumn<QString>("reason");
        const int failed = int(PluginSpec::State::Failed);
        QTest::newRow("duplicate") << "libgw_fixture_duplicate" << failed << "duplicate id 'fixture-counting': the same version 1.0.0 is at";
        QTest::newRow("wrong API") << "libgw_fixture_wrong_api" << failed << "built against plugin API version 99; this workbench has version 1";
        QTest::newRow("missing symbol") << "libgw_fixture_missing_symbol" << failed << "gw_fixture_symbol_defined_nowhere";
        QTest::newRow("throws") << "libgw_fixture_throws" << failed << "initialize failed: the fixture refuses to start";
        QTest::newRow("not a library") << "libgw_fixture_not_a_library" << failed << "not a Qt plugin";
        QTest::newRow("requires an absent plugin") << "libgw_fixture_needs_absent" << failed << "requires plugin 'fixture-absent', which is not loaded";
        QTest::newRow("older version") << "libgw_fixture_versioned_v1" << int(PluginSpec::State::Superseded) << "version 2.1.0 at";
        QTest::newRow("newer version") << "libgw_fixture_versioned_v2" << int(PluginSpec::State::Loaded) << "";
    }

    void everyBrokenPluginIsListedWithItsReason()
    {
        QFETCH(QString, file);
        QFETCH(int, state);
        QFETCH(QString, reason);
        const PluginSpec *spec = specOf(*manager_, file);
        QVERIFY2(spec, qPrintable(file));
        QCOMPARE(int(spec->state), state);
        QVERIFY2(spec->reason.contains(reason), qPrintable(spec->reason));
        if (spec->state != PluginSpec::State::Loaded)
            QVERIFY(spec->kinds.isEmpty());
    }

    void aPluginThatFailsLeavesNothingRegistered()
    {
        // The throwing plugin registered a kind before it threw.
        QVERIFY(!RunKindRegistry::instance().find(QStringLiteral("fixture-half")));
        QVERIFY(!RunParameters::findSection(QStringLiteral("half")));
        // The workbench goes on: the built-in kinds are all there.
        for (const QString &id : {QStringLiteral("train"), QStringLiteral("finetune"), QStringLiteral("active-learning"), QStringLiteral("pretrain")})
            QVERIFY(RunKindRegistry::instance().find(id));
    }

    void theListAsJsonNamesStateReasonAndKinds()
    {
        const QJsonArray list = manager_->toJson();
        QCOMPARE(list.size(), int(manager_->plugins().size()));
        bool sawCounting = false;
        for (const QJsonValue &value : list) {
            const QJsonObject o = value.toObject();
            for (const char *key : {"id", "name", "version", "api_version", "file", "state", "reason", "kinds", "license", "description", "requires"})
                QVERIFY2(o.contains(QLatin1String(key)), key);
            if (o.value(QStringLiteral("id")).toString() == QStringLiteral("fixture-counting") && o.value(QStringLiteral("state")) == QStringLiteral("loaded")) {
                sawCounting = true;
                QCOMPARE(o.value(QStringLiteral("kinds")).toArray().first().toString(), QStringLiteral("fixture-count"));
            }
        }
        QVERIFY(sawCounting);
    }

    void aDisabledPluginsCodeNeverRuns()
    {
        // A second manager over a folder with only the throwing plugin, disabled: it does not throw, it is listed.
        QTemporaryDir dir;
        QVERIFY(QFile::copy(QStringLiteral(GW_FIXTURE_PLUGIN_DIR "/libgw_fixture_throws.so"), dir.filePath(QStringLiteral("libgw_fixture_throws.so"))));
        PluginManager manager(RunKindRegistry::instance());
        manager.setDisabled({QStringLiteral("fixture-throws")});
        manager.load({dir.path()});
        QCOMPARE(manager.plugins().size(), std::size_t(1));
        QCOMPARE(manager.plugins().front().state, PluginSpec::State::Disabled);
        QCOMPARE(manager.plugins().front().reason, QStringLiteral("disabled in the settings"));
    }

    void aKindThatCollidesIsRefusedWhole()
    {
        // Registering the fixture kind again (another owner) must fail without adding anything.
        const std::size_t before = RunParameters::all().size();
        const RunKind *existing = RunKindRegistry::instance().find(QStringLiteral("fixture-count"));
        QVERIFY(existing);
        QVERIFY_THROWS_EXCEPTION(Error, RunKindRegistry::instance().add(std::shared_ptr<const RunKind>(existing, [](const RunKind *) {}), QStringLiteral("other")));
        QCOMPARE(RunParameters::all().size(), before);
    }

private:
    std::unique_ptr<PluginManager> manager_;
};

QTEST_GUILESS_MAIN(TestPluginManager)
#include "tst_pluginmanager.moc"
