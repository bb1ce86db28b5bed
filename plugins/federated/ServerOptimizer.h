#pragma once
#include <QString>
#include <QStringList>
#include <torch/types.h>

namespace gw::federated {

/// The server's step from the clients' mean update (Reddi et al., "Adaptive Federated
/// Optimization", ICLR 2021): FedAvg and FedProx add it (times the server learning rate, 1 by
/// default); FedAvgM keeps a momentum of it; FedAdam scales it by a running second moment. FedProx
/// differs from FedAvg in the clients' loss only (LocalTraining::proximalMu).
class ServerOptimizer {
public:
    static QStringList algorithms();
    /// The server learning rate an algorithm works with when none is given: 1 for the averaging
    /// ones, 10^-1.5 for FedAdam (Reddi et al.'s best on their vision tasks).
    static double defaultLearningRate(const QString &algorithm);

    /// @p beta1 is FedAvgM's momentum and FedAdam's first-moment decay; @p tau FedAdam's adaptivity.
    ServerOptimizer(QString algorithm, double learningRate, double beta1 = 0.9, double beta2 = 0.99, double tau = 1e-3);
    /// Applies @p meanUpdate (the weighted mean of client weights minus global weights) to @p global.
    void step(torch::Tensor &global, const torch::Tensor &meanUpdate);
    double learningRate() const { return lr_; }

private:
    QString algorithm_;
    double lr_, beta1_, beta2_, tau_;
    torch::Tensor first_, second_;
};

} // namespace gw::federated
