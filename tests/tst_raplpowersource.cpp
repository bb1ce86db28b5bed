#include "TestData.h"
#include "energy/RaplPowerSource.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

class TestRaplPowerSource : public QObject {
    Q_OBJECT
private:
    // A fake /sys/class/powercap tree; energies in µJ.
    struct FakeTree {
        QTemporaryDir dir;
        double now = 1000.0;

        void domain(const QString &entry, const QString &name, double energyUj, double rangeUj = 262143328850.0)
        {
            const QString path = dir.filePath(entry);
            QDir().mkpath(path);
            test::writeBytes(path + QStringLiteral("/name"), name.toLatin1() + "\n");
            test::writeBytes(path + QStringLiteral("/max_energy_range_uj"), QByteArray::number(qint64(rangeUj)) + "\n");
            set(entry, energyUj);
        }
        void set(const QString &entry, double energyUj)
        {
            test::writeBytes(dir.filePath(entry) + QStringLiteral("/energy_uj"), QByteArray::number(qint64(energyUj)) + "\n");
        }
        std::unique_ptr<RaplPowerSource> open(QString *why = nullptr, RaplPowerSource::FileReader reader = {})
        {
            return RaplPowerSource::open(dir.path(), why, std::move(reader), [this] { return now; });
        }
    };

private Q_SLOTS:
    void packagePowerFromDeltas()
    {
        FakeTree tree;
        tree.domain(QStringLiteral("intel-rapl:0"), QStringLiteral("package-0"), 5e6);
        tree.domain(QStringLiteral("intel-rapl:0:0"), QStringLiteral("core"), 1e6);
        tree.domain(QStringLiteral("intel-rapl:0:1"), QStringLiteral("uncore"), 1e6);
        auto rapl = tree.open();
        QVERIFY(rapl);
        QCOMPARE(rapl->domains().size(), std::size_t(1)); // core and uncore are inside the package
        QCOMPARE(rapl->provenance(), QStringLiteral("measured"));
        QVERIFY(!rapl->coverage().ram);
        tree.now += 2.0;
        tree.set(QStringLiteral("intel-rapl:0"), 5e6 + 100e6); // 100 J in 2 s
        tree.set(QStringLiteral("intel-rapl:0:0"), 90e6);
        QCOMPARE(rapl->read().cpuPowerW, 50.0);
    }

    void oneWrap()
    {
        FakeTree tree;
        const double range = 1000e6;
        tree.domain(QStringLiteral("intel-rapl:0"), QStringLiteral("package-0"), range - 10e6, range);
        auto rapl = tree.open();
        tree.now += 1.0;
        tree.set(QStringLiteral("intel-rapl:0"), 30e6); // wrapped: 10 J before the top, 30 J after
        QCOMPARE(rapl->read().cpuPowerW, 40.0);
    }

    void severalWrapsInferredFromTiming()
    {
        FakeTree tree;
        const double range = 100e6; // 100 J: wraps every second at 100 W
        tree.domain(QStringLiteral("intel-rapl:0"), QStringLiteral("package-0"), 0, range);
        auto rapl = tree.open();
        tree.now += 0.5;
        tree.set(QStringLiteral("intel-rapl:0"), 50e6); // 50 J in 0.5 s: 100 W
        QCOMPARE(rapl->read().cpuPowerW, 100.0);
        // 3.2 s at 100 W is 320 J: from 50 J the counter wraps three times and stops at 70 J, which
        // alone would read as 20 J.
        tree.now += 3.2;
        tree.set(QStringLiteral("intel-rapl:0"), 70e6);
        QCOMPARE(rapl->read().cpuPowerW, 100.0);
    }

    void twoPackagesAndDram()
    {
        FakeTree tree;
        tree.domain(QStringLiteral("intel-rapl:0"), QStringLiteral("package-0"), 0);
        tree.domain(QStringLiteral("intel-rapl:0:0"), QStringLiteral("dram"), 0);
        tree.domain(QStringLiteral("intel-rapl:1"), QStringLiteral("package-1"), 0);
        tree.domain(QStringLiteral("intel-rapl:1:0"), QStringLiteral("dram"), 0);
        tree.domain(QStringLiteral("intel-rapl:2"), QStringLiteral("psys"), 0);
        auto rapl = tree.open();
        QVERIFY(rapl);
        QCOMPARE(rapl->domains().size(), std::size_t(4)); // psys left out: it contains the rest
        QVERIFY(rapl->coverage().ram);
        tree.now += 1.0;
        tree.set(QStringLiteral("intel-rapl:0"), 60e6);
        tree.set(QStringLiteral("intel-rapl:1"), 40e6);
        tree.set(QStringLiteral("intel-rapl:0:0"), 5e6);
        tree.set(QStringLiteral("intel-rapl:1:0"), 7e6);
        tree.set(QStringLiteral("intel-rapl:2"), 500e6);
        const PowerReading r = rapl->read();
        QCOMPARE(r.cpuPowerW, 100.0);
        QCOMPARE(r.ramPowerW, 12.0);
    }

    void dieListedTwiceCountsOnce()
    {
        FakeTree tree;
        tree.domain(QStringLiteral("intel-rapl:0"), QStringLiteral("package-0"), 0);
        tree.domain(QStringLiteral("intel-rapl-mmio:0"), QStringLiteral("package-0"), 0); // the same package via MMIO
        tree.domain(QStringLiteral("intel-rapl:1"), QStringLiteral("package-0-die-1"), 0);
        auto rapl = tree.open();
        QCOMPARE(rapl->domains().size(), std::size_t(2));
        QVERIFY(!rapl->domains()[0].path.contains(QStringLiteral("mmio")));
        tree.now += 1.0;
        tree.set(QStringLiteral("intel-rapl:0"), 30e6);
        tree.set(QStringLiteral("intel-rapl-mmio:0"), 30e6);
        tree.set(QStringLiteral("intel-rapl:1"), 20e6);
        QCOMPARE(rapl->read().cpuPowerW, 50.0);
    }

    void permissionDeniedSaysWhyAndWhatToDo()
    {
        FakeTree tree;
        tree.domain(QStringLiteral("intel-rapl:0"), QStringLiteral("package-0"), 0);
        // Tests run as root in CI, where file modes do not deny reads: deny through the reader.
        const RaplPowerSource::FileReader base = RaplPowerSource::defaultReader();
        const auto denying = [base](const QString &path, QString *error) -> std::optional<QByteArray> {
            if (path.endsWith(QStringLiteral("energy_uj"))) {
                *error = QStringLiteral("permission denied");
                return std::nullopt;
            }
            return base(path, error);
        };
        QString why;
        QVERIFY(!tree.open(&why, denying));
        QVERIFY2(why.contains(QStringLiteral("permission denied")), qPrintable(why));
        QVERIFY(why.contains(QStringLiteral("intel-rapl:0/energy_uj")));
        QVERIFY(why.contains(QStringLiteral("chmod")));
    }

    void noPowercapAtAll()
    {
        QString why;
        QVERIFY(!RaplPowerSource::open(QStringLiteral("/nonexistent/powercap"), &why));
        QVERIFY(why.contains(QStringLiteral("/nonexistent/powercap")));
        QTemporaryDir empty;
        QVERIFY(!RaplPowerSource::open(empty.path(), &why));
        QVERIFY(why.contains(QStringLiteral("no package energy counter")));
    }
};

QTEST_GUILESS_MAIN(TestRaplPowerSource)
#include "tst_raplpowersource.moc"
