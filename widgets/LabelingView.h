#pragma once
#include "ClassButtons.h"
#include "LabelingGrid.h"
#include "LabelingShortcuts.h"

#include <QVariantMap>
#include <QWidget>

class QDialog;
class QLabel;
class QTableWidget;
class QUndoStack;

namespace gw {

class InteractiveOracle;

/// Label Studio's loop in one panel: the batch as a grid with the model's guesses, keys to label
/// (1-9, 0), move (arrows), skip (S), submit (Return), zoom (Z or a double-click) and undo/redo
/// (Ctrl+Z, Ctrl+Shift+Z; a QUndoStack), class buttons (click to label, right-click to rename), a
/// history of the last decisions (double-click a label to change it) and the progress of the run. It speaks only Qt: decisions leave as signals (to an
/// InteractiveOracle, which commits them) and come back acknowledged.
class LabelingView : public QWidget {
    Q_OBJECT
public:
    explicit LabelingView(QWidget *parent = nullptr);

    /// Shows @p oracle's batches and sends it every decision (its signals arrive queued from the
    /// run's thread); emits batchShown when a batch arrives.
    void connectOracle(InteractiveOracle *oracle);
    void setShortcuts(const LabelingShortcuts &shortcuts);
    const LabelingShortcuts &shortcuts() const { return shortcuts_; }
    LabelingGrid *grid() const { return grid_; }
    QUndoStack *undoStack() const { return undoStack_; }
    QStringList classNames() const { return classNames_; }
    ClassButtons *classButtons() const { return classButtons_; }
    /// The open zoom on one image, or null.
    QDialog *zoom() const { return zoom_; }
    /// The line that says where labeling stands (for tests and screen readers).
    QString progressText() const;

    /// Used by the undo commands: the decisions as the person makes and unmakes them.
    void requestAssign(qint64 sampleIndex, int label);
    void requestUndo(qint64 sampleIndex, std::optional<int> restored);
    void requestSkip(qint64 sampleIndex, bool skipped);

public Q_SLOTS:
    /// A new batch (InteractiveOracle::batchRequested).
    void showBatch(const QVariantList &items, const QVariantMap &status);
    void onLabelStored(qint64 sampleIndex, int label);
    void onLabelUndone(qint64 sampleIndex);
    void onSampleSkipped(qint64 sampleIndex);
    void onBatchFinished();
    /// CO2 of the run so far (g), shown with the progress.
    void setEmissions(double emissionsG);
    /// The test accuracy the model reached after a round, with @p labels labels, shown with the progress.
    void setRoundAccuracy(int round, qint64 labels, double accuracy);
    /// The run ended (@p status: completed, cancelled, failed, ...): the grid empties and says so.
    void runEnded(const QString &status);
    /// Gives the selected image class @p classIndex (an undoable command).
    void assignSelected(int classIndex);
    void skipSelected();
    void submit();
    /// Renames class @p classIndex (stored with the run through the oracle).
    void renameClass(int classIndex, const QString &name);
    /// The selected image large, with its key and the model's guess; any key goes on to the view.
    void zoomSelected();

Q_SIGNALS:
    void assignRequested(qint64 sampleIndex, int label);
    void undoRequested(qint64 sampleIndex);
    void skipRequested(qint64 sampleIndex);
    void submitRequested();
    void classRenamed(int classIndex, const QString &name);
    void batchShown(int round, int size);
    /// A decision the oracle refused (with its reason).
    void refused(const QString &reason);

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    void updateProgress();
    void addHistory(qint64 sampleIndex, const QString &what);
    void markStored(qint64 sampleIndex);
    void onHistoryDoubleClicked(int row);
    void askClassName(int classIndex);
    /// The class buttons for the present names and keys.
    void showClassButtons();
    QString className(int c) const;
    /// The key that gives class @p c ("1" for class 0 by default), empty when none does.
    QString keyOf(int c) const;

    LabelingGrid *grid_;
    QLabel *progress_;
    ClassButtons *classButtons_;
    QDialog *zoom_ = nullptr;
    QTableWidget *history_;
    QUndoStack *undoStack_;
    LabelingShortcuts shortcuts_;
    QStringList classNames_;
    qint64 labelsBefore_ = 0;
    qint64 storedThisBatch_ = 0;
    qint64 budget_ = 0;
    int round_ = 0;
    double emissionsG_ = 0;
    bool waiting_ = false;
    QString ended_;        ///< how the run ended; empty while it goes
    QString lastAccuracy_; ///< the latest round's test accuracy, as shown
};

} // namespace gw
