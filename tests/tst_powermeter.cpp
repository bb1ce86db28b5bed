#include "energy/PowerMeter.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

namespace {
class FixedSource : public PowerSource {
public:
    FixedSource(QString name, QString provenance, PowerCoverage coverage, PowerReading reading)
        : name_(std::move(name)), provenance_(std::move(provenance)), coverage_(coverage), reading_(reading) {}
    QString name() const override { return name_; }
    QString provenance() const override { return provenance_; }
    QString description() const override { return name_ + QStringLiteral(" source"); }
    PowerCoverage coverage() const override { return coverage_; }
    PowerReading read() override { ++reads; return reading_; }
    int reads = 0;

private:
    QString name_, provenance_;
    PowerCoverage coverage_;
    PowerReading reading_;
};
} // namespace

class TestPowerMeter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void countersWinAndTheEstimateFillsTheRest()
    {
        std::vector<std::unique_ptr<PowerSource>> sources;
        sources.push_back(std::make_unique<FixedSource>(QStringLiteral("RAPL"), QStringLiteral("measured"), PowerCoverage{true, false, false},
                                                        PowerReading{60, 0, 0}));
        sources.push_back(std::make_unique<FixedSource>(QStringLiteral("model"), QStringLiteral("estimated"), PowerCoverage{true, false, true},
                                                        PowerReading{99, 0, 4}));
        PowerMeter meter(std::move(sources), {{QStringLiteral("NVML"), false, QStringLiteral("measured"), QString(), QStringLiteral("NVML: no driver")}});
        const PowerReading r = meter.read();
        QCOMPARE(r.cpuPowerW, 60.0); // from the counter, not the model
        QCOMPARE(r.ramPowerW, 4.0);
        QCOMPARE(r.gpuPowerW, 0.0);
        QCOMPARE(meter.componentProvenance(PowerComponent::Cpu), QStringLiteral("measured"));
        QCOMPARE(meter.componentProvenance(PowerComponent::Ram), QStringLiteral("estimated"));
        QCOMPARE(meter.componentProvenance(PowerComponent::Gpu), QString());
        QCOMPARE(meter.provenance(), QStringLiteral("estimated")); // one estimated component makes the total estimated
        QCOMPARE(meter.notices(), QStringList{QStringLiteral("NVML: no driver")});
        const std::vector<PowerSourceStatus> statuses = meter.statuses();
        QCOMPARE(statuses.size(), std::size_t(3));
        QCOMPARE(statuses[0].components, QStringLiteral("cpu"));
        QCOMPARE(statuses[1].components, QStringLiteral("ram"));
        QVERIFY(!statuses[2].active);
    }

    void allMeasuredIsMeasured()
    {
        std::vector<std::unique_ptr<PowerSource>> sources;
        sources.push_back(std::make_unique<FixedSource>(QStringLiteral("RAPL"), QStringLiteral("measured"), PowerCoverage{true, false, true},
                                                        PowerReading{60, 0, 5}));
        auto unused = std::make_unique<FixedSource>(QStringLiteral("model"), QStringLiteral("estimated"), PowerCoverage{true, false, true},
                                                    PowerReading{1, 0, 1});
        FixedSource *model = unused.get();
        sources.push_back(std::move(unused));
        PowerMeter meter(std::move(sources));
        meter.read();
        QCOMPARE(meter.provenance(), QStringLiteral("measured"));
        QCOMPARE(model->reads, 0); // a source that supplies nothing is not read
        QVERIFY(!meter.statuses()[1].active);
    }

    void thisMachineWithoutCountersIsEstimatedAndSaysWhy()
    {
        QTemporaryDir empty;
        PowerMeter::Options options;
        options.powercapRoot = empty.filePath(QStringLiteral("no-powercap"));
        options.nvmlLibrary = empty.filePath(QStringLiteral("libnvidia-ml.so.1"));
        const auto meter = PowerMeter::forThisMachine(options);
        QCOMPARE(meter->provenance(), QStringLiteral("estimated"));
        QVERIFY(meter->coverage().cpu && meter->coverage().ram);
        QVERIFY(!meter->notices().isEmpty());
        QVERIFY2(meter->notices().first().contains(QStringLiteral("no-powercap")), qPrintable(meter->notices().join(QLatin1Char('\n'))));
    }
};

QTEST_GUILESS_MAIN(TestPowerMeter)
#include "tst_powermeter.moc"
