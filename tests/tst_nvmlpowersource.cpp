#include "energy/NvmlPowerSource.h"

#include <QTemporaryFile>
#include <QThread>
#include <QtTest>
#include <cmath>

#include <dlfcn.h>

using namespace gw;

namespace {

// The fake NVML library (tests/fakes/fake_nvml.cpp) is configured through FAKE_NVML_* variables
// read at nvmlInit, and stepped through its fake_nvml_* functions.
const char *const kFakeVariables[] = {"FAKE_NVML_GPU_COUNT", "FAKE_NVML_POWER_MW", "FAKE_NVML_ENERGY_MJ",
                                      "FAKE_NVML_NO_ENERGY_COUNTER", "FAKE_NVML_NO_ENERGY_COUNTER_ON",
                                      "FAKE_NVML_NO_POWER_ON", "FAKE_NVML_INIT_FAIL", "FAKE_NVML_MANUAL"};

QString fakeUuid(int index)
{
    return QStringLiteral("GPU-fa4e%1-0000-4000-8000-%2").arg(index, 4, 16, QLatin1Char('0')).arg(index, 12, 16, QLatin1Char('0'));
}

} // namespace

class TestNvmlPowerSource : public QObject {
    Q_OBJECT

    void *fake_ = nullptr;
    void (*setEnergyMj_)(unsigned, unsigned long long) = nullptr;
    void (*addEnergyMj_)(unsigned, unsigned long long) = nullptr;
    void (*setPowerMw_)(unsigned, unsigned) = nullptr;
    void (*setError_)(unsigned, int) = nullptr;
    int (*initCount_)() = nullptr;
    double nowS_ = 0;

    /// Opens the fake with the test's clock; CUDA_VISIBLE_DEVICES unset unless given.
    std::unique_ptr<NvmlPowerSource> openFake(QString *whyNot = nullptr, std::optional<QString> visible = std::nullopt,
                                              const QString &path = QStringLiteral(FAKE_NVML_PATH))
    {
        return NvmlPowerSource::open(path, whyNot, visible, [this] { return nowS_; });
    }

    template <typename Fn>
    void resolve(Fn &fn, const char *symbol)
    {
        fn = reinterpret_cast<Fn>(dlsym(fake_, symbol));
        QVERIFY2(fn, symbol);
    }

private Q_SLOTS:
    void initTestCase()
    {
        // The test's own handle keeps the fake loaded, so the source under test shares its state.
        fake_ = dlopen(FAKE_NVML_PATH, RTLD_NOW | RTLD_LOCAL);
        QVERIFY2(fake_, dlerror());
        resolve(setEnergyMj_, "fake_nvml_set_energy_mj");
        resolve(addEnergyMj_, "fake_nvml_add_energy_mj");
        resolve(setPowerMw_, "fake_nvml_set_power_mw");
        resolve(setError_, "fake_nvml_set_error");
        resolve(initCount_, "fake_nvml_init_count");
    }

    void cleanupTestCase()
    {
        if (fake_)
            dlclose(fake_);
    }

    void init()
    {
        for (const char *name : kFakeVariables)
            qunsetenv(name);
        nowS_ = 10.0;
    }

    void cleanup()
    {
        // Every source is gone by now: each nvmlInit must have had its nvmlShutdown.
        QCOMPARE(initCount_(), 0);
    }

    // Average power = counter delta / elapsed, whatever the interval.
    void energyCounter_data()
    {
        QTest::addColumn<double>("intervalS");
        QTest::addColumn<qulonglong>("energyMj");
        QTest::addColumn<double>("expectedW");
        QTest::newRow("100 W over 2 s") << 2.0 << 200000ull << 100.0;
        QTest::newRow("350 W over 0.5 s") << 0.5 << 175000ull << 350.0;
        QTest::newRow("idle") << 1.0 << 0ull << 0.0;
        QTest::newRow("60 W over 1 ms") << 0.001 << 60ull << 60.0;
        QTest::newRow("700 W over an hour") << 3600.0 << 2520000000ull << 700.0;
    }

    void energyCounter()
    {
        QFETCH(double, intervalS);
        QFETCH(qulonglong, energyMj);
        QFETCH(double, expectedW);
        qputenv("FAKE_NVML_MANUAL", "1");
        QString why;
        auto source = openFake(&why);
        QVERIFY2(source, qPrintable(why));
        QCOMPARE(source->name(), QStringLiteral("NVML"));
        QCOMPARE(source->provenance(), QStringLiteral("measured"));
        const PowerCoverage coverage = source->coverage();
        QVERIFY(!coverage.cpu && coverage.gpu && !coverage.ram);
        QCOMPARE(source->componentProvenance(PowerComponent::Gpu), QStringLiteral("measured"));
        QCOMPARE(source->componentProvenance(PowerComponent::Cpu), QString());
        QCOMPARE(source->gpus().size(), size_t(1));
        QVERIFY(source->gpus()[0].energyCounter);
        QCOMPARE(source->description(), QStringLiteral("NVML: 1 GPU (GPU 0 NVIDIA Fake GPU 0: energy counter)"));

        nowS_ += intervalS;
        addEnergyMj_(0, energyMj);
        const PowerReading reading = source->read();
        QVERIFY(qAbs(reading.gpuPowerW - expectedW) < 1e-9 * qMax(1.0, expectedW));
        QCOMPARE(reading.cpuPowerW, 0.0);
        QCOMPARE(reading.ramPowerW, 0.0);
    }

    // Without a counter, each interval is the trapezoid between consecutive power samples.
    void powerSamples_data()
    {
        QTest::addColumn<uint>("initialMw");
        QTest::addColumn<QList<uint>>("samplesMw");
        QTest::addColumn<QList<double>>("expectedW");
        QTest::newRow("steady") << 100000u << QList<uint>{100000, 100000} << QList<double>{100, 100};
        QTest::newRow("ramp up and drop") << 100000u << QList<uint>{200000, 200000, 0} << QList<double>{150, 200, 100};
        QTest::newRow("from idle") << 0u << QList<uint>{50000, 25000} << QList<double>{25, 37.5};
    }

    void powerSamples()
    {
        QFETCH(uint, initialMw);
        QFETCH(QList<uint>, samplesMw);
        QFETCH(QList<double>, expectedW);
        qputenv("FAKE_NVML_NO_ENERGY_COUNTER", "1");
        qputenv("FAKE_NVML_MANUAL", "1");
        qputenv("FAKE_NVML_POWER_MW", QByteArray::number(initialMw));
        QString why;
        auto source = openFake(&why);
        QVERIFY2(source, qPrintable(why));
        QVERIFY(!source->gpus()[0].energyCounter);
        QCOMPARE(source->gpus()[0].method(), QStringLiteral("power samples"));
        QVERIFY(source->description().contains(QStringLiteral("power samples")));
        for (int i = 0; i < samplesMw.size(); ++i) {
            nowS_ += 1.0;
            setPowerMw_(0, samplesMw[i]);
            QCOMPARE(source->read().gpuPowerW, expectedW[i]);
        }
    }

    void twoGpusAreSummed()
    {
        qputenv("FAKE_NVML_GPU_COUNT", "2");
        qputenv("FAKE_NVML_NO_ENERGY_COUNTER_ON", "1");
        qputenv("FAKE_NVML_POWER_MW", "100000,40000");
        qputenv("FAKE_NVML_MANUAL", "1");
        QString why;
        auto source = openFake(&why);
        QVERIFY2(source, qPrintable(why));
        const std::vector<NvmlPowerSource::GpuInfo> gpus = source->gpus();
        QCOMPARE(gpus.size(), size_t(2));
        QCOMPARE(gpus[0].index, 0);
        QCOMPARE(gpus[0].name, QStringLiteral("NVIDIA Fake GPU 0"));
        QCOMPARE(gpus[0].uuid, fakeUuid(0));
        QVERIFY(gpus[0].energyCounter);
        QCOMPARE(gpus[1].index, 1);
        QVERIFY(!gpus[1].energyCounter);
        QCOMPARE(source->description(),
                 QStringLiteral("NVML: 2 GPUs (GPU 0 NVIDIA Fake GPU 0: energy counter; GPU 1 NVIDIA Fake GPU 1: power samples)"));

        nowS_ += 1.0;
        addEnergyMj_(0, 80000); // 80 W
        setPowerMw_(1, 60000);  // (40 + 60) / 2 = 50 W
        QCOMPARE(source->read().gpuPowerW, 130.0);
    }

    void cudaVisibleDevices_data()
    {
        QTest::addColumn<bool>("set");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QList<int>>("expectedIndices");
        QTest::addColumn<double>("expectedW");
        QTest::newRow("unset: all") << false << QString() << QList<int>{0, 1, 2} << 70.0;
        QTest::newRow("one") << true << QStringLiteral("1") << QList<int>{1} << 20.0;
        QTest::newRow("order kept") << true << QStringLiteral("2,0") << QList<int>{2, 0} << 50.0;
        QTest::newRow("spaces") << true << QStringLiteral(" 1 , 2 ") << QList<int>{1, 2} << 60.0;
        QTest::newRow("duplicate counted once") << true << QStringLiteral("1,1") << QList<int>{1} << 20.0;
        QTest::newRow("list ends at an unknown index") << true << QStringLiteral("0,7,1") << QList<int>{0} << 10.0;
        QTest::newRow("list ends at -1") << true << QStringLiteral("0,-1,2") << QList<int>{0} << 10.0;
        QTest::newRow("uuid") << true << fakeUuid(2) << QList<int>{2} << 40.0;
        QTest::newRow("uuid prefix in capitals, then index") << true << fakeUuid(2).toUpper().left(12) + QStringLiteral(",0")
                                                            << QList<int>{2, 0} << 50.0;
    }

    void cudaVisibleDevices()
    {
        QFETCH(bool, set);
        QFETCH(QString, value);
        QFETCH(QList<int>, expectedIndices);
        QFETCH(double, expectedW);
        qputenv("FAKE_NVML_GPU_COUNT", "3");
        qputenv("FAKE_NVML_NO_ENERGY_COUNTER", "1");
        qputenv("FAKE_NVML_POWER_MW", "10000,20000,40000");
        QString why;
        auto source = openFake(&why, set ? std::optional<QString>(value) : std::nullopt);
        QVERIFY2(source, qPrintable(why));
        QList<int> indices;
        for (const NvmlPowerSource::GpuInfo &gpu : source->gpus())
            indices << gpu.index;
        QCOMPARE(indices, expectedIndices);
        nowS_ += 1.0;
        // Steady power, so the first trapezoid is the power itself.
        QCOMPARE(source->read().gpuPowerW, expectedW);
    }

    void cudaVisibleDevicesHidesAll_data()
    {
        QTest::addColumn<QString>("value");
        QTest::newRow("empty") << QString();
        QTest::newRow("-1") << QStringLiteral("-1");
        QTest::newRow("blank") << QStringLiteral("  ");
        QTest::newRow("index out of range") << QStringLiteral("7");
        QTest::newRow("not a number") << QStringLiteral("first");
        QTest::newRow("unknown uuid") << QStringLiteral("GPU-0000dead");
        QTest::newRow("ambiguous uuid prefix") << QStringLiteral("GPU-fa4e");
        QTest::newRow("MIG instance") << QStringLiteral("MIG-0d9b5f3c-47c4-5c7c-b1c2-3ac1aefd4bd5");
    }

    void cudaVisibleDevicesHidesAll()
    {
        QFETCH(QString, value);
        qputenv("FAKE_NVML_GPU_COUNT", "3");
        QString why;
        QVERIFY(!openFake(&why, value));
        QVERIFY2(why.contains(QStringLiteral("CUDA_VISIBLE_DEVICES=\"%1\" hides all GPUs").arg(value)), qPrintable(why));
        QVERIFY2(why.endsWith(QStringLiteral("GPU power not measured")), qPrintable(why));
    }

    void noLibrary_data()
    {
        QTest::addColumn<QString>("path");
        QTest::newRow("file path") << QStringLiteral("/nonexistent/libnvidia-ml.so.1");
        QTest::newRow("bare soname") << QStringLiteral("libnvidia-ml-not-installed.so.1");
    }

    void noLibrary()
    {
        QFETCH(QString, path);
        QString why;
        QVERIFY(!openFake(&why, std::nullopt, path));
        QCOMPARE(why, QStringLiteral("no NVIDIA driver library (%1) found: GPU power not measured").arg(path));
    }

    // On a machine without the driver this is the message users see; with one, the real GPUs.
    void defaultLibrary()
    {
        QString why;
        auto source = NvmlPowerSource::open(QString::fromLatin1(NvmlPowerSource::kDefaultLibrary), &why);
        if (source) {
            QVERIFY(!source->gpus().empty());
            const PowerReading reading = source->read();
            QVERIFY(std::isfinite(reading.gpuPowerW) && reading.gpuPowerW >= 0);
            return;
        }
        QVERIFY(!why.isEmpty());
        if (why.startsWith(QStringLiteral("no NVIDIA driver library")))
            QCOMPARE(why, QStringLiteral("no NVIDIA driver library (libnvidia-ml.so.1) found: GPU power not measured"));
    }

    void notALibrary()
    {
        QTemporaryFile file;
        QVERIFY(file.open());
        file.write("not an ELF file");
        file.close();
        QString why;
        QVERIFY(!openFake(&why, std::nullopt, file.fileName()));
        QVERIFY2(why.startsWith(QStringLiteral("NVIDIA driver library %1 could not be loaded").arg(file.fileName())), qPrintable(why));
    }

    void missingSymbol()
    {
        QString why;
        QVERIFY(!openFake(&why, std::nullopt, QStringLiteral(FAKE_NVML_NO_POWER_USAGE_PATH)));
        QVERIFY2(why.contains(QStringLiteral(FAKE_NVML_NO_POWER_USAGE_PATH)), qPrintable(why));
        QVERIFY2(why.contains(QStringLiteral("missing nvmlDeviceGetPowerUsage")), qPrintable(why));
    }

    // A driver from before the energy counter still gives power samples.
    void withoutEnergySymbol()
    {
        QString why;
        auto source = openFake(&why, std::nullopt, QStringLiteral(FAKE_NVML_NO_ENERGY_SYMBOL_PATH));
        QVERIFY2(source, qPrintable(why));
        QVERIFY(!source->gpus()[0].energyCounter);
        nowS_ += 1.0;
        QCOMPARE(source->read().gpuPowerW, 100.0);
    }

    void initFailure()
    {
        qputenv("FAKE_NVML_INIT_FAIL", "1");
        QString why;
        QVERIFY(!openFake(&why));
        QVERIFY2(why.contains(QStringLiteral("nvmlInit failed: Driver Not Loaded")), qPrintable(why));
    }

    void noGpu()
    {
        qputenv("FAKE_NVML_GPU_COUNT", "0");
        QString why;
        QVERIFY(!openFake(&why));
        QCOMPARE(why, QStringLiteral("NVML: no NVIDIA GPU found: GPU power not measured"));
    }

    void gpuWithoutPowerIsLeftOut()
    {
        qputenv("FAKE_NVML_GPU_COUNT", "2");
        qputenv("FAKE_NVML_NO_POWER_ON", "1");
        QString why;
        auto source = openFake(&why);
        QVERIFY2(source, qPrintable(why));
        QCOMPARE(source->gpus().size(), size_t(1));
        QCOMPARE(source->gpus()[0].index, 0);
        QCOMPARE(source->notes().size(), 1);
        QVERIFY2(source->description().contains(QStringLiteral("left out: GPU 1 NVIDIA Fake GPU 1: reports no power (Not Supported)")),
                 qPrintable(source->description()));
    }

    void noGpuReportsPower()
    {
        qputenv("FAKE_NVML_NO_POWER_ON", "0");
        QString why;
        QVERIFY(!openFake(&why));
        QVERIFY2(why.startsWith(QStringLiteral("NVML: no visible GPU reports its power")), qPrintable(why));
    }

    void destructorShutsDown()
    {
        auto source = openFake();
        QVERIFY(source);
        QCOMPARE(initCount_(), 1);
        source.reset();
        QCOMPARE(initCount_(), 0);
    }

    // A failed read leaves the baseline alone, so the next good read averages over both intervals.
    void failedReadIsCoveredByTheNext()
    {
        qputenv("FAKE_NVML_MANUAL", "1");
        auto source = openFake();
        QVERIFY(source);
        nowS_ += 1.0;
        addEnergyMj_(0, 100000);
        QCOMPARE(source->read().gpuPowerW, 100.0);
        QVERIFY(source->lastError().isEmpty());

        setError_(0, 15); // NVML_ERROR_GPU_IS_LOST
        nowS_ += 1.0;
        addEnergyMj_(0, 300000);
        QCOMPARE(source->read().gpuPowerW, 0.0);
        QCOMPARE(source->lastError(), QStringLiteral("GPU 0: energy: GPU is lost"));

        setError_(0, 0);
        nowS_ += 1.0;
        addEnergyMj_(0, 100000);
        QCOMPARE(source->read().gpuPowerW, 200.0);
        QVERIFY(source->lastError().isEmpty());
    }

    // The counter restarts with the driver; that interval falls back to the instantaneous power.
    void counterRestart()
    {
        qputenv("FAKE_NVML_MANUAL", "1");
        qputenv("FAKE_NVML_POWER_MW", "70000");
        auto source = openFake();
        QVERIFY(source);
        nowS_ += 1.0;
        setEnergyMj_(0, 500);
        QCOMPARE(source->read().gpuPowerW, 70.0);
        nowS_ += 1.0;
        addEnergyMj_(0, 30000);
        QCOMPARE(source->read().gpuPowerW, 30.0);
    }

    void noElapsedTimeGivesNoNonsense()
    {
        qputenv("FAKE_NVML_MANUAL", "1");
        auto source = openFake();
        QVERIFY(source);
        addEnergyMj_(0, 1000);
        const PowerReading reading = source->read();
        QVERIFY(std::isfinite(reading.gpuPowerW));
        QCOMPARE(reading.gpuPowerW, 0.0);
        // The energy is not lost: it counts in the next interval.
        nowS_ += 1.0;
        QCOMPARE(source->read().gpuPowerW, 1.0);
    }

    // The real steady clock against a counter that runs on real time, as with a board.
    void steadyClock()
    {
        qputenv("FAKE_NVML_POWER_MW", "100000");
        QString why;
        auto source = NvmlPowerSource::open(QStringLiteral(FAKE_NVML_PATH), &why, std::nullopt);
        QVERIFY2(source, qPrintable(why));
        QThread::msleep(300);
        const double powerW = source->read().gpuPowerW;
        QVERIFY2(qAbs(powerW - 100.0) < 5.0, qPrintable(QString::number(powerW)));
    }
};

QTEST_GUILESS_MAIN(TestNvmlPowerSource)
#include "tst_nvmlpowersource.moc"
