import numpy as np
import utils as u


class Layer:
    def __init__(self, n_inputs, n_neurons, activation_function):
        self.weights = np.random.uniform(-1, 1, (n_neurons, n_inputs))
        self.biases = np.zeros((n_neurons, 1))
        self.activation = activation_function
        self.inputs = None
        self.outputs = None

    def forward(self, inputs):
        self.inputs = np.array(inputs, dtype=float).reshape(-1, 1)
        self.outputs = self.weights @ self.inputs + self.biases
        return self.activation(self.outputs)

    def backward(self, grad, lr):
        dz = grad * self.activation.derivative(self.outputs)
        dW = dz @ self.outputs.T
        db = dz
        grad_prev = self.weights.T @ dz
        self.weights -= lr * dW
        self.biases -= lr * db
        return grad_prev


class Perceptron:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, inputs):
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def fit(self, training_data, labels, epochs, lr):
        for epoch in range(epochs):
            losses = []
            for x, y in zip(training_data, labels):
                y_hat = self.forward(x)
                losses.append((-(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))).item())
                grad = (y_hat - y) / (y_hat * (1 - y_hat))
                for layer in reversed(self.layers):
                    grad = layer.backward(grad, lr)
            average_loss = np.mean(losses)
            print(f"Loss at epoch {epoch + 1}: {average_loss:.3f}")


if __name__ == "__main__":
    model = Perceptron([Layer(2, 6, u.relu), Layer(6, 6, u.relu), Layer(6, 1, u.sigmoid)])
    model.fit(u.X_train, u.y_train, 10, 0.01)
