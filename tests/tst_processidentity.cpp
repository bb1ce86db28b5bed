#include "platform/ProcessIdentity.h"

#include <QProcess>
#include <QtTest>

using namespace gw;

class TestProcessIdentity : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void thisProcessIsAlive()
    {
        const ProcessIdentity me = ProcessIdentity::current();
        QVERIFY(me.pid > 0);
        QVERIFY(me.startTicks > 0);
        QVERIFY(me.state() == ProcessIdentity::State::Alive);
        // What the store keeps reads back as the same process.
        QVERIFY(ProcessIdentity::fromStored(me.host, me.pid, me.startToken()).state() == ProcessIdentity::State::Alive);
    }

    void aProcessThatEndedIsGone()
    {
        QProcess child;
        child.start(QStringLiteral("true"), {});
        QVERIFY(child.waitForStarted());
        const qint64 pid = child.processId();
        const qint64 ticks = ProcessIdentity::startTicksOf(pid);
        QVERIFY(child.waitForFinished());
        ProcessIdentity gone = ProcessIdentity::current();
        gone.pid = pid;
        gone.startTicks = ticks;
        QVERIFY(gone.state() == ProcessIdentity::State::Gone);
    }

    void aReusedPidIsAnotherProcess()
    {
        ProcessIdentity reused = ProcessIdentity::current();
        reused.startTicks += 7;
        QVERIFY(reused.state() == ProcessIdentity::State::Gone);
    }

    void anotherHostIsUnknown()
    {
        ProcessIdentity elsewhere = ProcessIdentity::current();
        elsewhere.host = QStringLiteral("another-host.example");
        QVERIFY(elsewhere.state() == ProcessIdentity::State::Unknown);
        QVERIFY(ProcessIdentity().state() == ProcessIdentity::State::Unknown);
    }
};

QTEST_GUILESS_MAIN(TestProcessIdentity)
#include "tst_processidentity.moc"
