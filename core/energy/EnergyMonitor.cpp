#include "energy/EnergyMonitor.h"

#include "Error.h"

#include <QThread>
#include <chrono>
#include <cmath>

namespace gw {

namespace {
double nowSeconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
} // namespace

void EnergyMonitor::checkRate(double sampleHz)
{
    if (!(sampleHz >= kMinSampleHz && sampleHz <= kMaxSampleHz))
        throw Error(QStringLiteral("energy sampling rate %1 Hz is outside %2-%3 Hz").arg(sampleHz).arg(kMinSampleHz).arg(kMaxSampleHz));
}

EnergyMonitor::EnergyMonitor(std::unique_ptr<PowerSource> source, double sampleHz, double pue, QObject *parent)
    : QObject(parent), source_(std::move(source)), sampleHz_(sampleHz), pue_(pue)
{
    checkRate(sampleHz_);
    if (!(pue_ >= 1.0))
        throw Error(QStringLiteral("PUE %1 is below 1.0").arg(pue_));
    qRegisterMetaType<gw::PowerSample>();
}

EnergyMonitor::~EnergyMonitor()
{
    stop();
}

void EnergyMonitor::start()
{
    if (thread_)
        return;
    {
        QMutexLocker sourceLock(&sourceMutex_);
        source_->read(); // open a fresh averaging interval at the start
    }
    startS_ = lastS_ = nowSeconds();
    stopRequested_ = false;
    thread_ = QThread::create([this] { samplerLoop(); });
    thread_->setObjectName(QStringLiteral("gw-energy-sampler"));
    thread_->start();
}

void EnergyMonitor::stop()
{
    if (!thread_)
        return;
    while (true) {
        QMutexLocker lock(&mutex_);
        if (open_.empty())
            break;
        lock.unlock();
        endWindow();
    }
    {
        QMutexLocker lock(&mutex_);
        stopRequested_ = true;
        wake_.wakeAll();
    }
    thread_->wait();
    delete thread_;
    thread_ = nullptr;
}

bool EnergyMonitor::isRunning() const
{
    return thread_ != nullptr;
}

double EnergyMonitor::sampleHz() const
{
    QMutexLocker lock(&mutex_);
    return sampleHz_;
}

void EnergyMonitor::setSampleHz(double sampleHz)
{
    checkRate(sampleHz);
    QMutexLocker lock(&mutex_);
    sampleHz_ = sampleHz;
    rateChanged_ = true;
    wake_.wakeAll();
}

void EnergyMonitor::setIntensity(double gPerKwh)
{
    QMutexLocker lock(&mutex_);
    intensityGPerKwh_ = gPerKwh;
}

void EnergyMonitor::samplerLoop()
{
    // Ticks sit on a fixed grid from the start (or from the last rate change) so the rate does not
    // drift with the time each sample takes.
    double gridStart = startS_;
    long tick = 0;
    while (true) {
        QMutexLocker lock(&mutex_);
        if (rateChanged_) {
            rateChanged_ = false;
            gridStart = nowSeconds();
            tick = 0;
        }
        const double due = gridStart + double(++tick) / sampleHz_;
        while (!stopRequested_ && !rateChanged_) {
            const double waitS = due - nowSeconds();
            if (waitS <= 0)
                break;
            wake_.wait(&mutex_, QDeadlineTimer(static_cast<qint64>(std::ceil(waitS * 1000))));
        }
        if (rateChanged_ && !stopRequested_)
            continue;
        const bool stopping = stopRequested_;
        lock.unlock();
        takeSample();
        if (stopping)
            return;
    }
}

void EnergyMonitor::takeSample()
{
    QMutexLocker sourceLock(&sourceMutex_);
    const PowerReading reading = source_->read();
    const double nowS = nowSeconds();
    PowerSample sample;
    {
        QMutexLocker lock(&mutex_);
        sample.intervalS = nowS - lastS_;
        lastS_ = nowS;
        sample.elapsedS = nowS - startS_;
        sample.cpuPowerW = reading.cpuPowerW;
        sample.gpuPowerW = reading.gpuPowerW;
        sample.ramPowerW = reading.ramPowerW;
        sample.totalPowerW = (reading.cpuPowerW + reading.gpuPowerW + reading.ramPowerW) * pue_;
        const double before = total_.energyJ();
        total_.add(sample.intervalS, sample.totalPowerW);
        const double addedJ = total_.energyJ() - before;
        if (addedJ > 0) {
            cpuJ_ += reading.cpuPowerW * pue_ * sample.intervalS;
            gpuJ_ += reading.gpuPowerW * pue_ * sample.intervalS;
            ramJ_ += reading.ramPowerW * pue_ * sample.intervalS;
        }
        emissionsG_ += EnergyAccumulator::emissionsG(addedJ / 3.6e6, intensityGPerKwh_);
        sample.energyJ = total_.energyJ();
        sample.intensityGPerKwh = intensityGPerKwh_;
        sample.emissionsG = emissionsG_;
        sample.source = source_->provenance();
        sample.phase = open_.empty() ? QStringLiteral("idle") : open_.back().phase;
        phaseJ_[sample.phase] += addedJ;
        phaseS_[sample.phase] += std::max(0.0, sample.intervalS);
        if (!open_.empty())
            open_.back().ownEnergyJ += addedJ;
        pending_.push_back(sample);
    }
    Q_EMIT sampleTaken(sample);
}

void EnergyMonitor::beginWindow(const QString &phase, const QString &scope)
{
    if (thread_)
        takeSample(); // closes the interval spent in the enclosing phase
    QMutexLocker lock(&mutex_);
    open_.push_back({phase, scope, (thread_ ? lastS_ : nowSeconds()) - startS_, total_.energyJ(), 0});
}

std::optional<EnergyWindow> EnergyMonitor::endWindow()
{
    {
        QMutexLocker lock(&mutex_);
        if (open_.empty())
            return std::nullopt;
    }
    if (thread_)
        takeSample();
    QMutexLocker lock(&mutex_);
    const OpenWindow window = open_.back();
    open_.pop_back();
    finished_.push_back({window.phase, window.scope, int(open_.size()), window.startS, (thread_ ? lastS_ : nowSeconds()) - startS_,
                         total_.energyJ() - window.energyAtStartJ, window.ownEnergyJ});
    return finished_.back();
}

std::vector<PowerSample> EnergyMonitor::takePending()
{
    QMutexLocker lock(&mutex_);
    std::vector<PowerSample> out;
    out.swap(pending_);
    return out;
}

std::vector<EnergyWindow> EnergyMonitor::takeFinishedWindows()
{
    QMutexLocker lock(&mutex_);
    std::vector<EnergyWindow> out;
    out.swap(finished_);
    return out;
}

double EnergyMonitor::energyJ() const
{
    QMutexLocker lock(&mutex_);
    return total_.energyJ();
}

double EnergyMonitor::emissionsG() const
{
    QMutexLocker lock(&mutex_);
    return emissionsG_;
}

double EnergyMonitor::durationS() const
{
    QMutexLocker lock(&mutex_);
    return total_.durationS();
}

double EnergyMonitor::elapsedS() const
{
    QMutexLocker lock(&mutex_);
    return thread_ ? nowSeconds() - startS_ : lastS_ - startS_;
}

double EnergyMonitor::cpuEnergyJ() const
{
    QMutexLocker lock(&mutex_);
    return cpuJ_;
}

double EnergyMonitor::gpuEnergyJ() const
{
    QMutexLocker lock(&mutex_);
    return gpuJ_;
}

double EnergyMonitor::ramEnergyJ() const
{
    QMutexLocker lock(&mutex_);
    return ramJ_;
}

QMap<QString, double> EnergyMonitor::energyByPhaseJ() const
{
    QMutexLocker lock(&mutex_);
    return phaseJ_;
}

QMap<QString, double> EnergyMonitor::durationByPhaseS() const
{
    QMutexLocker lock(&mutex_);
    return phaseS_;
}

} // namespace gw
